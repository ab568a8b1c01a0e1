import Foundation
import JSON
import Testing

@testable import HostApp
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
