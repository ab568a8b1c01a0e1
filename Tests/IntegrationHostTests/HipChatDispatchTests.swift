import Foundation
import HTTPServer
import HostApp
import HostCore
import IntegrationContract
import Logging
import Manifests
import Platforms
import Plugins
import JSON
import Testing
import TestSupport

/// HipChat room_message notifications, dispatched over real loopback HTTP.
@Suite struct HipChatDispatchTests {
    static let echo = #"{"reply": "{sender} in {room} said {query} (token {token})"}"#

    /// The fixture through a real (manifest) integration.
    static let manifest = #"""
        {"description": "test", "actions": [
            {"log": "manifest echo from {{sender.name}}"},
            {"reply": {"text": "{{sender.name}} in {{room.id}} said {{query}} (token {{token}})", "color": "green"}}]}
        """#

    @Test func inlineReplyAsHipChatJSON() async throws {
        let host = try TestHost(files: ["echo.json": Self.manifest], tokens: ["1234:echo:ROOMTOKEN", "g:GLOBAL"])
        defer { Task { await host.stop() } }
        let response = try await host.request("POST", "/hipchat", body: try Fixtures.bytes("hipchat/room_message.json"))
        #expect(response.status == 200)
        #expect(response.headers["content-type"] == "application/json")
        let requestID = try #require(response.headers["x-request-id"])
        let json = try JSONValue(parsing: response.body)
        #expect(json["message"] == "Ada Lovelace łé in 1234 said hello there (token ROOMTOKEN)")
        #expect(json["message_format"] == "text")
        #expect(json["color"] == "green")
        #expect(json["notify"] == false)
        // Every log line of the request carries its id; the token value is never logged.
        let lines = host.log.split(separator: "\n").filter { $0.contains("request=\(requestID)") }
        #expect(lines.count >= 2)
        #expect(lines.contains { $0.contains("integration=echo") && $0.contains("manifest echo from Ada") })
        #expect(!host.log.contains("ROOMTOKEN"))
    }

    @Test func rootAcksAtOnceAndPostsReplyToHipChatAPI() async throws {
        let api = RecordingServer()
        let apiURL = try api.start()
        let finish = ScriptGate()
        let host = try TestHost(
            files: ["echo.scripted": #"{"reply": "pong {query}", "gate": "\#(finish.name)"}"#],
            tokens: ["1234:echo:ROOMTOKEN"], hipchatAPI: apiURL)
        defer { Task { await host.stop(); await api.stop() } }
        let response = try await host.request("POST", "/", body: try Fixtures.bytes("hipchat/room_message.json"))
        // The 204 comes while the integration cannot finish: it waits for the gate, opened only now.
        #expect(response.status == 204)
        #expect(api.requests.isEmpty)
        finish.open()
        let received = await api.waitFor(1)
        let post = try #require(received.first)
        #expect(post.method == .post)
        #expect(post.path == "/v2/room/1234/notification")
        #expect(post.headers["Authorization"] == "Bearer ROOMTOKEN")
        let json = try JSONValue(parsing: post.body)
        #expect(json["message"] == "pong hello there")
        #expect(json["message_format"] == "text")
    }

    @Test func rootWithoutRoomTokenLogsAndSendsNothing() async throws {
        let api = RecordingServer()
        let apiURL = try api.start()
        let host = try TestHost(files: ["echo.scripted": Self.echo], hipchatAPI: apiURL)
        defer { Task { await host.stop(); await api.stop() } }
        let response = try await host.request("POST", "/", body: try Fixtures.bytes("hipchat/room_message.json"))
        #expect(response.status == 204)
        #expect(await eventually { host.log.contains("no token configured for room 1234") })
        #expect(api.requests.isEmpty)
    }

    @Test func unknownAndUnsafeCommandNames() async throws {
        let host = try TestHost(files: ["echo.scripted": Self.echo])
        defer { Task { await host.stop() } }
        let unknown = try await host.request("POST", "/hipchat", body: try Fixtures.hipchat(message: "/nope x"))
        #expect(unknown.status == 404)
        #expect(try JSONValue(parsing: unknown.body)["error"] == "no integration answers /nope")
        for message in ["/../echo x", "/a/b", "/echo/../x", "hello", "/" + String(repeating: "a", count: 65)] {
            let response = try await host.request("POST", "/hipchat", body: try Fixtures.hipchat(message: message))
            #expect(response.status == 400, "\(message)")
            #expect(try JSONValue(parsing: response.body)["error"] == "message is not a /command")
        }
        let onRoot = try await host.request("POST", "/", body: try Fixtures.hipchat(message: "/nope x"))
        #expect(onRoot.status == 204)
        #expect(host.log.contains("no integration answers /nope"))
    }

    @Test func badBodies() async throws {
        let host = try TestHost()
        defer { Task { await host.stop() } }
        for body in ["{", "[]", #"{"item": {}}"#, "not json at all, not a command"] {
            let response = try await host.request("POST", "/hipchat", body: Array(body.utf8))
            #expect(response.status == 400, "\(body)")
            #expect(try JSONValue(parsing: response.body)["error"]?.stringValue != nil)
        }
        let rootGarbage = try await host.request("POST", "/", body: Array("drop tables".utf8))
        #expect(rootGarbage.status == 400)
    }

    @Test func throwingAndSlowIntegrations() async throws {
        let host = try TestHost(
            files: [
                "boom.scripted": #"{"throw": "kaboom"}"#,
                "slow.scripted": #"{"sleep_ms": 3600000, "reply": "late"}"#,
                "echo.scripted": Self.echo,
            ], deadline: .milliseconds(500))
        defer { Task { await host.stop() } }
        let boom = try await host.request("POST", "/hipchat", body: try Fixtures.hipchat(message: "/boom"))
        #expect(boom.status == 500)
        #expect(try JSONValue(parsing: boom.body)["error"] == "boom: kaboom")
        // The integration would take an hour: only the deadline can have answered.
        let slow = try await host.request("POST", "/hipchat", body: try Fixtures.hipchat(message: "/slow"))
        #expect(slow.status == 504)
        #expect(try JSONValue(parsing: slow.body)["error"] == "slow did not answer within 500 ms")
        let echo = try await host.request("POST", "/hipchat", body: try Fixtures.hipchat(message: "/echo still here"))
        #expect(echo.status == 200)
    }

    @Test func invocationsRunInParallel() async throws {
        // 20 runs that all wait at one gate, opened once all 20 have reached it: one after the other, the first would
        // wait forever. The deadline outlasts the client's own timeout.
        let meeting = ScriptGate()
        let host = try TestHost(
            files: ["meet.scripted": #"{"gate": "\#(meeting.name)", "reply": "ok"}"#], deadline: .seconds(60))
        defer { Task { await host.stop() } }
        try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<20 {
                group.addTask {
                    try await host.request("POST", "/hipchat", body: try Fixtures.hipchat(message: "/meet")).status
                }
            }
            #expect(await eventually { meeting.arrived == 20 }, "\(meeting.arrived) of 20 runs were running at once")
            meeting.open()
            for try await status in group { #expect(status == 200) }
        }
    }

    @Test func routesHealthAndErrors() async throws {
        let host = try TestHost(files: ["echo.scripted": Self.echo])
        defer { Task { await host.stop() } }
        let health = try await host.request("GET", "/healthz")
        #expect(health.status == 200)
        let json = try JSONValue(parsing: health.body)
        #expect(json["status"] == "ok")
        #expect(json["integrations"] == 1)
        #expect(json["uptime_seconds"]?.doubleValue != nil)
        let missing = try await host.request("GET", "/nope")
        #expect(missing.status == 404)
        #expect(try JSONValue(parsing: missing.body)["error"] == "no route for /nope")
        let wrongMethod = try await host.request("GET", "/hipchat")
        #expect(wrongMethod.status == 405)
        #expect(wrongMethod.headers["allow"] == "POST")
        #expect(try JSONValue(parsing: wrongMethod.body)["error"] != nil)
        let ownID = try await host.request("GET", "/healthz", headers: ["X-Request-Id": "abc-123"])
        #expect(ownID.headers["x-request-id"] == "abc-123")
    }
}
