import Foundation
import JSON
import Testing

@testable import HostApp
@testable import HTTPClient
@testable import HostCore
@testable import IntegrationContract
@testable import Logging
@testable import Manifests
@testable import Platforms
@testable import Plugins

@Suite struct HTTPCallActionTests {
    @Test func postsTemplatedJSONWithHeadersToALocalServer() async throws {
        let server = try LoopbackHTTPServer(status: 201, body: #"{"id": 9}"#)
        defer { server.stop() }
        setenv("MANIFEST_TEST_CHAT_URL", "http://127.0.0.1:\(server.port)/v2/room", 1)
        setenv("MANIFEST_TEST_CHAT_TOKEN", "tok-123", 1)
        defer {
            unsetenv("MANIFEST_TEST_CHAT_URL")
            unsetenv("MANIFEST_TEST_CHAT_TOKEN")
        }
        let manifest = try Fixtures.manifest(#"""
            {"actions": [{"http": {"url": "{{env.MANIFEST_TEST_CHAT_URL}}/{{room.id}}/notification?who={{sender.name}}",
                                   "headers": {"Authorization": "Bearer {{env.MANIFEST_TEST_CHAT_TOKEN}}"},
                                   "json": {"message": "{{query}}", "count": "{{n}}", "notify": false}},
                          "into": "post"},
                         {"reply": "{{post.status}} {{post.json.id}}"}]}
            """#.replacingOccurrences(of: "{{n}}", with: "{{sender.id}}"))
        let reply = try await manifest.run(Fixtures.invocation(query: "say \"hi\" & <bye>"))
        #expect(reply?.text == "201 9")
        let received = try #require(server.requests.first)
        #expect(received.requestLine == "POST /v2/room/1234/notification?who=Ada%20Lovelace HTTP/1.1")
        #expect(received.headers["authorization"] == "Bearer tok-123")
        #expect(received.headers["content-type"] == "application/json")
        let body = try JSONValue(parsing: received.body)
        #expect(body == ["message": "say \"hi\" & <bye>", "count": "42", "notify": false])
    }

    @Test func rawBodiesAreEscapedForTheirContentType() async throws {
        let server = try LoopbackHTTPServer()
        defer { server.stop() }
        let manifest = try Fixtures.manifest(#"""
            {"actions": [
              {"http": {"method": "PUT", "url": "http://127.0.0.1:\#(server.port)/a", "body": "q={{query}}",
                        "content_type": "application/x-www-form-urlencoded"}, "into": "a"},
              {"http": {"url": "http://127.0.0.1:\#(server.port)/b", "body": "{\"q\": \"{{query}}\"}",
                        "content_type": "application/json"}, "into": "b"}]}
            """#)
        _ = try await manifest.run(Fixtures.invocation(query: "a&b=\"c\""))
        let requests = server.requests
        #expect(requests.count == 2)
        #expect(requests[0].requestLine.hasPrefix("PUT /a "))
        #expect(String(decoding: requests[0].body, as: UTF8.self) == "q=a%26b%3D%22c%22")
        #expect(try JSONValue(parsing: requests[1].body) == ["q": "a&b=\"c\""])
    }

    @Test func errorStatusesAndUnreachableServersAreFailures() async throws {
        let server = try LoopbackHTTPServer(status: 500, body: "nope")
        defer { server.stop() }
        let manifest = try Fixtures.manifest(#"""
            {"actions": [{"http": {"url": "http://127.0.0.1:\#(server.port)/x"}, "into": "r",
                          "on_error": {"status": 503, "reply": "chat said {{r.status}}: {{r.body}}"}}]}
            """#)
        let reply = try #require(try await manifest.run(Fixtures.invocation()))
        #expect(reply.text == "chat said 500: nope")
        #expect(reply.status == 503)

        let closed = try LoopbackHTTPServer()
        let port = closed.port
        closed.stop()
        // Refused at once; the timeout only has to be longer than a busy machine takes to find out.
        let unreachable = try Fixtures.manifest(#"{"actions": [{"http": {"url": "http://127.0.0.1:\#(port)/", "timeout": 30}}]}"#)
        do {
            _ = try await unreachable.run(Fixtures.invocation())
            Issue.record("expected a failure")
        } catch let error as IntegrationError {
            #expect(error.status == 502)
            #expect(error.message.hasPrefix("http: POST to 127.0.0.1 failed"))
        }
    }

    @Test func timeoutIsAFailure() async throws {
        // The server never answers: only the timeout can end the call.
        let server = try LoopbackHTTPServer(answers: false)
        defer { server.stop() }
        let manifest = try Fixtures.manifest(#"{"actions": [{"http": {"url": "http://127.0.0.1:\#(server.port)/", "timeout": 0.3}}]}"#)
        do {
            _ = try await manifest.run(Fixtures.invocation())
            Issue.record("expected a timeout")
        } catch let error as IntegrationError {
            #expect(error.status == 504)
        }
    }

    @Test func aRedirectToAnotherHostLosesTheCredentialHeadersAndEveryCallSaysWhoItIs() async throws {
        let landing = try LoopbackHTTPServer(status: 200, body: #"{"landed": true}"#)
        defer { landing.stop() }
        let start = try LoopbackHTTPServer(status: 307, headers: "Location: http://127.0.0.1:\(landing.port)/landed\r\n")
        defer { start.stop() }
        setenv("MANIFEST_TEST_REDIRECT_TOKEN", "tok-456", 1)
        defer { unsetenv("MANIFEST_TEST_REDIRECT_TOKEN") }
        let manifest = try Fixtures.manifest(#"""
            {"actions": [{"http": {"url": "http://127.0.0.1:\#(start.port)/start",
                                   "headers": {"Authorization": "Bearer {{env.MANIFEST_TEST_REDIRECT_TOKEN}}",
                                               "X-Api-Key": "{{env.MANIFEST_TEST_REDIRECT_TOKEN}}",
                                               "X-Trace": "{{sender.id}}"},
                                   "json": {"q": "{{query}}"}, "timeout": 60}, "into": "r"},
                         {"reply": "{{r.json.landed}}"}]}
            """#)
        let reply = try await manifest.run(Fixtures.invocation(query: "hi"))
        #expect(reply?.text == "true")
        let first = try #require(start.requests.first)
        #expect(first.headers["authorization"] == "Bearer tok-456")
        #expect(first.headers["user-agent"] == "integration-host/\(HostVersion.current)")
        let landed = try #require(landing.requests.first)
        #expect(landed.requestLine == "POST /landed HTTP/1.1")
        #expect(landed.headers["authorization"] == nil)
        #expect(landed.headers["x-api-key"] == nil)
        #expect(landed.headers["x-trace"] == "42")
        #expect(try JSONValue(parsing: landed.body) == ["q": "hi"])
    }

    @Test func aResponseOverOneMiBIsAFailure() async throws {
        let server = try LoopbackHTTPServer(body: String(repeating: "x", count: (1 << 20) + 1))
        defer { server.stop() }
        let manifest = try Fixtures.manifest(#"{"actions": [{"http": {"url": "http://127.0.0.1:\#(server.port)/big"}}]}"#)
        do {
            _ = try await manifest.run(Fixtures.invocation())
            Issue.record("expected a failure")
        } catch let error as IntegrationError {
            #expect(error.status == 502)
            #expect(error.message == "http: POST to 127.0.0.1 failed: the response is larger than 1048576 bytes")
        }
    }

    @Test func aURLFromAnUnsetVariableIsRefused() async throws {
        unsetenv("MANIFEST_TEST_NOPE")
        let manifest = try Fixtures.manifest(#"{"actions": [{"http": {"url": "{{env.MANIFEST_TEST_NOPE}}/x"}}]}"#)
        do {
            _ = try await manifest.run(Fixtures.invocation())
            Issue.record("expected a failure")
        } catch let error as IntegrationError {
            #expect(error.status == 500)
        }
    }
}
