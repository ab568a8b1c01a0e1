import Foundation
import Synchronization
import TestSupport
import Testing

@testable import HTTPClient

@Suite struct OutboundClientTests {
    static let ok = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"

    @Test func everyRequestCarriesTheHostsUserAgentUnlessItSetsItsOwn() async throws {
        let server = try ScriptedServer { _, connection in _ = connection.write(Self.ok) }
        defer { server.stop() }
        let client = OutboundClient()
        let plain = try await client.send(OutboundRequest(url: server.url("/plain")))
        #expect(plain.status == 200)
        #expect(plain.body == Array("ok".utf8))
        _ = try await client.send(OutboundRequest(url: server.url("/own"), headers: [("User-Agent", "bot/2")]))
        let requests = server.requests
        #expect(requests.first { $0.path == "/plain" }?.headers["user-agent"] == "integration-host/\(HostVersion.current)")
        #expect(requests.first { $0.path == "/own" }?.headers["user-agent"] == "bot/2")
    }

    @Test func postsTheBodyWithTheMethodAndHeadersGiven() async throws {
        let server = try ScriptedServer { _, connection in _ = connection.write(Self.ok) }
        defer { server.stop() }
        let request = OutboundRequest(
            method: "PUT", url: server.url("/thing?x=1"), headers: [("Content-Type", "application/json")],
            body: Array(#"{"a":1}"#.utf8))
        _ = try await OutboundClient().send(request)
        let received = try #require(server.requests.first)
        #expect(received.requestLine == "PUT /thing?x=1 HTTP/1.1")
        #expect(received.headers["content-type"] == "application/json")
        #expect(received.headers["expect"] == nil)
        #expect(received.body == Array(#"{"a":1}"#.utf8))
    }

    @Test func aRedirectToAnotherOriginCarriesNoCredentials() async throws {
        let other = try ScriptedServer { _, connection in _ = connection.write(Self.ok) }
        defer { other.stop() }
        let first = try ScriptedServer { _, connection in
            _ = connection.write("HTTP/1.1 307 Temporary Redirect\r\nLocation: \(other.url("/landed"))\r\nContent-Length: 0\r\n\r\n")
        }
        defer { first.stop() }
        let request = OutboundRequest(
            method: "POST", url: first.url("/start"),
            headers: [("Authorization", "Bearer s3cret"), ("Cookie", "session=1"), ("X-Api-Key", "k3y"), ("X-Trace", "t1")],
            body: Array("payload".utf8), secretHeaderNames: ["X-Api-Key"])
        let response = try await OutboundClient(timeout: .seconds(60)).send(request)
        #expect(response.status == 200)
        #expect(response.url == other.url("/landed"))
        #expect(first.requests.first?.headers["authorization"] == "Bearer s3cret")
        let landed = try #require(other.requests.first)
        #expect(landed.requestLine == "POST /landed HTTP/1.1")
        #expect(landed.body == Array("payload".utf8))
        #expect(landed.headers["authorization"] == nil)
        #expect(landed.headers["cookie"] == nil)
        #expect(landed.headers["x-api-key"] == nil)
        #expect(landed.headers["x-trace"] == "t1")
    }

    @Test func aRedirectWithinTheOriginKeepsTheHeadersAndA303BecomesAGet() async throws {
        let server = try ScriptedServer { request, connection in
            if request.path == "/start" {
                _ = connection.write("HTTP/1.1 303 See Other\r\nLocation: /next\r\nContent-Length: 0\r\n\r\n")
            } else {
                _ = connection.write(Self.ok)
            }
        }
        defer { server.stop() }
        let request = OutboundRequest(
            method: "POST", url: server.url("/start"), headers: [("Authorization", "Bearer s3cret")],
            body: Array("payload".utf8))
        let response = try await OutboundClient(timeout: .seconds(60)).send(request)
        #expect(response.status == 200)
        let next = try #require(server.requests.first { $0.path == "/next" })
        #expect(next.requestLine == "GET /next HTTP/1.1")
        #expect(next.headers["authorization"] == "Bearer s3cret")
        #expect(next.body.isEmpty)
    }

    @Test func redirectsStopAtTheLimit() async throws {
        let server = try ScriptedServer { _, connection in
            _ = connection.write("HTTP/1.1 302 Found\r\nLocation: /again\r\nContent-Length: 0\r\n\r\n")
        }
        defer { server.stop() }
        await #expect(throws: OutboundError.tooManyRedirects(limit: 2)) {
            _ = try await OutboundClient(timeout: .seconds(60), maxRedirects: 2).send(OutboundRequest(url: server.url("/loop")))
        }
        #expect(server.requests.count == 3)
    }

    @Test func redirectsToOtherSchemesOrFromHTTPSToHTTPAreRefused() throws {
        let secure = OutboundRequest(url: URL(string: "https://chat.example/api")!, headers: [("Authorization", "x")])
        func redirect(to location: String) -> OutboundResponse {
            OutboundResponse(status: 302, headers: [("Location", location)], body: [], url: secure.url)
        }
        #expect(throws: OutboundError.redirectRefused("from https to http")) {
            _ = try Redirect.next(after: redirect(to: "http://chat.example/api"), to: secure)
        }
        #expect(throws: OutboundError.redirectRefused("Location is not an http(s) URL")) {
            _ = try Redirect.next(after: redirect(to: "file:///etc/passwd"), to: secure)
        }
        let samePort = try #require(try Redirect.next(after: redirect(to: "https://chat.example:443/v2"), to: secure))
        #expect(samePort.header("Authorization") == "x")
        let otherPort = try #require(try Redirect.next(after: redirect(to: "https://chat.example:8443/v2"), to: secure))
        #expect(otherPort.header("Authorization") == nil)
        #expect(try Redirect.next(after: OutboundResponse(status: 200, headers: [], body: [], url: secure.url), to: secure) == nil)
    }
}
