import Foundation
import HTTPServer
import JSON
import Testing

@testable import HostApp
@testable import HostCore
@testable import IntegrationContract
@testable import Logging
@testable import Manifests
@testable import Platforms
@testable import Plugins

/// Every value source a template can read, through a real manifest run.
@Suite struct ValueSourceTests {
    private func reply(_ template: String, _ invocation: Invocation, extra: String = "") async throws -> String {
        let manifest = try Fixtures.manifest(#"{"actions": [\#(extra){"reply": \#(JSONValue.string(template).serialized())}]}"#)
        return try #require(try await manifest.run(invocation)).text
    }

    @Test func queryAndNotificationFields() async throws {
        let invocation = Fixtures.invocation(query: "hello there", command: "echo", platform: .hipchat)
        let text = try await reply(
            "{{query}}|{{text}}|{{command}}|{{platform}}|{{sender.id}}|{{sender.name}}|{{sender.handle}}|{{room.id}}|{{room.name}}|{{request_id}}|{{method}}|{{path}}",
            invocation)
        #expect(text == "hello there|/echo hello there|echo|hipchat|42|Ada Lovelace|ada|1234|Ops|req-1|POST|/hooks/test")
        #expect(try await reply("{{message}}|{{channel.id}}|{{channel.name}}", invocation) == "/echo hello there|1234|Ops")
    }

    @Test func theWholeNotificationAsJSON() async throws {
        let invocation = Fixtures.invocation(query: "q", command: "echo")
        #expect(try await reply("{{notification.sender.handle}} {{notification.channel.name}} {{notification.command}}", invocation)
            == "ada Ops echo")
    }

    @Test func jsonPayloadByDotPath() async throws {
        let body = Array(#"{"ref":"refs/heads/main","commits":[{"id":"c0"},{"id":"c1"}]}"#.utf8)
        let fromBody = Fixtures.invocation(request: Fixtures.request(headers: ["Content-Type": "application/json"], body: body))
        #expect(try await reply("{{payload.ref}} {{payload.commits.1.id}}", fromBody) == "refs/heads/main c1")
        let decoded = Fixtures.invocation(payload: ["item": ["message": ["message": "/x y"]]])
        #expect(try await reply("{{payload.item.message.message}}", decoded) == "/x y")
    }

    @Test func formFieldsHeadersAndURLParameters() async throws {
        let request = Fixtures.request(
            path: "/deploy/prod", query: "ref=v1.2&who=a%20b",
            headers: ["Content-Type": "application/x-www-form-urlencoded", "X-Custom": "yes"],
            body: Array("user_name=ada&text=hi+there".utf8))
        let invocation = Fixtures.invocation(request: request, routeParameters: ["env": "prod"])
        #expect(try await reply("{{form.user_name}}:{{form.text}}:{{header.x-custom}}:{{header.X-Custom}}", invocation)
            == "ada:hi there:yes:yes")
        #expect(try await reply("{{param.env}}:{{param.ref}}:{{param.who}}", invocation) == "prod:v1.2:a b")
    }

    @Test func routeParametersWinOverTheQueryString() async throws {
        let invocation = Fixtures.invocation(
            request: Fixtures.request(path: "/deploy/prod", query: "env=staging"), routeParameters: ["env": "prod"])
        #expect(try await reply("{{param.env}}", invocation) == "prod")
    }

    @Test func tokensOwnAndByName() async throws {
        let invocation = Fixtures.invocation(tokens: ["send_message:global-abc", "1234:test:room-xyz"], token: "room-xyz")
        #expect(try await reply("{{token}} {{tokens.send_message}}", invocation) == "room-xyz global-abc")
    }

    @Test func storageValues() async throws {
        let storage = Storage()
        try storage.namespace("test").set("greeting", "hi")
        try storage.namespace("test").set("obj", ["a": ["b": 7]])
        let invocation = Fixtures.invocation(storage: storage)
        #expect(try await reply("{{storage.greeting}} {{storage.obj.a.b}}", invocation) == "hi 7")
    }

    @Test func environmentVariables() async throws {
        setenv("MANIFEST_TEST_SECRET", "s3cret", 1)
        defer { unsetenv("MANIFEST_TEST_SECRET") }
        #expect(try await reply("{{env.MANIFEST_TEST_SECRET}}", Fixtures.invocation()) == "s3cret")
        #expect(try await reply(#"{{env.MANIFEST_TEST_UNSET | default: "unset"}}"#, Fixtures.invocation()) == "unset")
    }

    @Test func variablesFromSetAndCaptures() async throws {
        let manifest = try Fixtures.manifest(#"""
            {"rules": [{"regex": {"pattern": "^(?<first>\\w+) (?<second>\\w+)$"}}],
             "actions": [{"set": {"both": "{{second}}-{{first}}", "n": 5}}, {"reply": "{{both}} {{n}}"}]}
            """#)
        let reply = try await manifest.run(Fixtures.invocation(query: "one two"))
        #expect(reply?.text == "two-one 5")
    }
}
