import Crypto
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

/// Each shipped example over HTTP, through the real host serving `integrations/`.
@Suite(.serialized) struct ExampleEndToEndTests {
    @Test func echo() async throws {
        let host = try ManifestHost()
        let chat = try await host.hipchat("/echo hello there")
        #expect(chat.status == 200)
        #expect(chat.json?["message"] == "hello there")
        #expect(chat.json?["message_format"] == "text")
        let hook = try await host.request("POST", "/hooks/echo", body: Array(#"{"text": "from a hook"}"#.utf8),
                                          headers: ["Content-Type": "application/json"])
        #expect(hook.status == 200)
        #expect(hook.text == "from a hook")
        await host.stop()
    }

    @Test func roll() async throws {
        let host = try ManifestHost()
        let chat = try await host.hipchat("/roll 2d6")
        let message = try #require(chat.json?["message"]?.stringValue)
        let match = try #require(message.wholeMatch(of: /Ada Lovelace rolled 2d6: (\d+) \+ (\d+) = (\d+)/))
        let (a, b, total) = (Int(match.1)!, Int(match.2)!, Int(match.3)!)
        #expect((1...6).contains(a) && (1...6).contains(b) && total == a + b)
        let tooMany = try await host.hipchat("/roll 1000d6")
        #expect(tooMany.json?["message"] == "dice: roll between 1 and 100 dice (try /roll 2d6)")
        let hook = try await host.request("POST", "/hooks/roll", body: Array(#"{"text": "0d6"}"#.utf8), headers: ["Content-Type": "application/json"])
        #expect(hook.status == 400)
        await host.stop()
    }

    @Test func karma() async throws {
        let secret = "hipchat-install-secret"
        let host = try ManifestHost(tokens: ["hipchat_secret:\(secret)"])
        #expect(try await host.hipchat("/karma grace++", signedWith: secret).json?["message"] == "grace has 1 karma")
        #expect(try await host.hipchat("/karma Grace++", signedWith: secret).json?["message"] == "Grace has 2 karma")
        #expect(try await host.hipchat("/karma grace--", signedWith: secret).json?["message"] == "grace has 1 karma")
        #expect(try await host.hipchat("/karma grace", signedWith: secret).json?["message"] == "grace has 1 karma")
        #expect(try await host.hipchat("/karma nobody", signedWith: secret).json?["message"] == "nobody has 0 karma")
        #expect(try await host.hipchat("/karma !!", signedWith: secret).json?["message"] == "usage: /karma NAME++, /karma NAME-- or /karma NAME")
        #expect(try await host.hipchat("/karma grace++").status == 401)
        #expect(try await host.hipchat("/karma grace++", signedWith: "forged").status == 401)
        #expect(host.server.dependencies.storage.namespace("karma").get("grace") == 1)
        await host.stop()
    }

    /// Without `hipchat_secret` a HipChat request proves nothing about its sender: karma can be read but not changed.
    @Test func karmaFromAnUnverifiedSenderIsReadOnly() async throws {
        let host = try ManifestHost()
        let change = try await host.hipchat("/karma grace++")
        #expect(change.status == 403)
        #expect(change.json?["error"]?.stringValue?.hasPrefix("karma: changing karma needs a verified chat request") == true)
        #expect(try await host.hipchat("/karma grace").json?["message"] == "grace has 0 karma")
        #expect(host.server.dependencies.storage.namespace("karma").get("grace") == nil)
        await host.stop()
    }

    /// `/todo add`, `list` and `done` through the real host: numbered list, removal by number and by text,
    /// helpful answers to bad input, and the room's list in storage after the sequence.
    @Test func todo() async throws {
        let secret = "hipchat-install-secret"
        let host = try ManifestHost(tokens: ["hipchat_secret:\(secret)"])
        func say(_ message: String) async throws -> String? {
            try await host.hipchat(message, signedWith: secret).json?["message"]?.stringValue
        }
        #expect(try await say("/todo list") == "nothing to do")
        #expect(try await say("/todo add buy milk") == "added 1. buy milk")
        #expect(try await say("/todo add write report") == "added 2. write report")
        #expect(try await say(#"/todo add fix "the" <bug>"#) == #"added 3. fix "the" <bug>"#)
        #expect(try await say("/todo list") == "1. buy milk\n2. write report\n3. fix \"the\" <bug>")
        #expect(try await say("/todo done 2") == "done: write report")
        #expect(try await say("/todo done x")
            == "'x' is not on the list: /todo done takes an item's number from /todo list, or its exact text")
        #expect(try await say("/todo done 99") == "there is no item 99: /todo list shows 2")
        #expect(try await say("/todo done 0") == "there is no item 0: /todo list shows 2")
        #expect(try await say(#"/todo done fix "the" <bug>"#) == #"done: fix "the" <bug>"#)
        #expect(try await say("/todo") == "1. buy milk")
        let usage = "usage: /todo add TEXT (at most 200 characters), /todo list, /todo done N (N from /todo list)"
        #expect(try await say("/todo add") == usage)
        #expect(try await say("/todo remove 1") == usage)
        #expect(try await say("/todo add " + String(repeating: "x", count: 201)) == usage)
        #expect(host.server.dependencies.storage.namespace("todo").get("room-1234") == ["buy milk"])
        #expect(try await say("/todo done 1") == "done: buy milk")
        #expect(try await say("/todo list") == "nothing to do")
        #expect(host.server.dependencies.storage.namespace("todo").get("room-1234") == [])
        #expect(!host.log.contains("is not set"))
        await host.stop()
    }

    @Test func todoFromAnUnverifiedSenderIsReadOnly() async throws {
        let host = try ManifestHost()
        let add = try await host.hipchat("/todo add buy milk")
        #expect(add.status == 403)
        #expect(add.json?["error"]?.stringValue?.hasPrefix("todo: changing the to-do list needs a verified chat request") == true)
        #expect(try await host.hipchat("/todo list").json?["message"] == "nothing to do")
        let hook = try await host.request("POST", "/hooks/todo", body: Array(#"{"text": "done 1"}"#.utf8),
                                          headers: ["Content-Type": "application/json"])
        #expect(hook.status == 403)
        #expect(host.server.dependencies.storage.namespace("todo").keys() == [])
        await host.stop()
    }

    /// Parallel `/todo add`s through the host lose nothing: every item is stored once, and each answer's number
    /// is a different position.
    @Test func parallelTodoAddsLoseNothing() async throws {
        let secret = "hipchat-install-secret"
        let host = try ManifestHost(tokens: ["hipchat_secret:\(secret)"])
        let count = 150
        let answers = try await withThrowingTaskGroup(of: String.self) { group in
            for n in 0..<count {
                group.addTask { try await host.hipchat("/todo add item \(n)", signedWith: secret).json?["message"]?.stringValue ?? "" }
            }
            var all: [String] = []
            for try await answer in group { all.append(answer) }
            return all
        }
        let positions = answers.compactMap { $0.wholeMatch(of: /added (\d+)\. item \d+/).map { Int($0.1)! } }
        #expect(positions.sorted() == Array(1...count))
        let stored = try #require(host.server.dependencies.storage.namespace("todo").get("room-1234")?.arrayValue)
        #expect(stored.count == count)
        #expect(Set(stored.compactMap(\.stringValue)) == Set((0..<count).map { "item \($0)" }))
        let list = try #require(try await host.hipchat("/todo list", signedWith: secret).json?["message"]?.stringValue)
        #expect(list.split(separator: "\n").count == count)
        await host.stop()
    }

    @Test func calc() async throws {
        let host = try ManifestHost()
        #expect(try await host.hipchat("/calc (1+2)*3").json?["message"] == "(1+2)*3 = 9")
        #expect(try await host.hipchat("/calc 2^10 % 7").json?["message"] == "2^10 % 7 = 2")
        #expect(try await host.hipchat("/calc 1/0").json?["message"] == "calc: division by zero")
        #expect(try await host.hipchat("/calc import os").json?["message"] == "calc: unknown name 'import'")
        await host.stop()
    }

    @Test func githubPushNotifier() async throws {
        let vectors = try JSONValue(parsing: Data(contentsOf: Fixtures.sharedFixtures.appendingPathComponent("github/signing_vectors.json")))
        let push = try #require(vectors["push"])
        let body = Array(try #require(push["payload"]?.stringValue).utf8)
        let signature = try #require(push["x_hub_signature_256"]?.stringValue)
        let chat = try LoopbackHTTPServer(status: 204, body: "")
        defer { chat.stop() }
        setenv("GITHUB_WEBHOOK_SECRET", try #require(push["secret"]?.stringValue), 1)
        setenv("CHAT_API_URL", "http://127.0.0.1:\(chat.port)/v2/room/1234/notification", 1)
        setenv("CHAT_API_TOKEN", "chat-token-1", 1)
        defer {
            for name in ["GITHUB_WEBHOOK_SECRET", "CHAT_API_URL", "CHAT_API_TOKEN"] { unsetenv(name) }
        }
        let host = try ManifestHost()
        let headers = ["Content-Type": "application/json", "X-GitHub-Event": "push", "X-GitHub-Delivery": "d-1",
                       "X-Hub-Signature-256": signature]
        let ok = try await host.request("POST", "/hooks/github-push", body: body, headers: headers)
        #expect(ok.status == 200)
        #expect(ok.json == ["posted": true, "delivery": "d-1", "chat_status": 204])
        let posted = try #require(chat.requests.first)
        #expect(posted.requestLine == "POST /v2/room/1234/notification HTTP/1.1")
        #expect(posted.headers["authorization"] == "Bearer chat-token-1")
        let message = try JSONValue(parsing: posted.body)
        #expect(message["message"] == "[octo/hello] ada pushed to refs/heads/main: Fix the thing")
        #expect(message["color"] == "purple")

        var forged = headers
        forged["X-GitHub-Delivery"] = "d-2"
        forged["X-Hub-Signature-256"] = "sha256=" + String(repeating: "0", count: 64)
        let rejected = try await host.request("POST", "/hooks/github-push", body: body, headers: forged)
        #expect(rejected.status == 401)
        #expect(rejected.json == ["error": "github-push: missing or invalid X-Hub-Signature-256"])
        var unsigned = headers
        unsigned["X-GitHub-Delivery"] = "d-3"
        unsigned["X-Hub-Signature-256"] = nil
        #expect(try await host.request("POST", "/hooks/github-push", body: body, headers: unsigned).status == 401)

        var ping = headers
        ping["X-GitHub-Delivery"] = "d-4"
        ping["X-GitHub-Event"] = "ping"
        let ignored = try await host.request("POST", "/hooks/github-push", body: body, headers: ping)
        #expect(ignored.status == 202)
        #expect(ignored.text == "ignored: only push events are posted")
        let redelivered = try await host.request("POST", "/hooks/github-push", body: body, headers: headers)
        #expect(redelivered.status == 200 && redelivered.body.isEmpty)
        #expect(chat.requests.count == 1)
        #expect(!host.log.contains("chat-token-1"))
        await host.stop()
    }

    /// GitHub's default content type: the push in a `payload` form field, signed over the form body.
    @Test func githubPushNotifierTakesTheFormContentType() async throws {
        let document = #"{"ref":"refs/heads/main","repository":{"full_name":"octo/hello"},"pusher":{"name":"ada"},"head_commit":{"message":"Form & more"}}"#
        let body = Array(("payload=" + document.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!).utf8)
        let chat = try LoopbackHTTPServer(status: 204, body: "")
        defer { chat.stop() }
        setenv("GITHUB_WEBHOOK_SECRET", "form-secret-1", 1)
        setenv("CHAT_API_URL", "http://127.0.0.1:\(chat.port)/v2/room/1234/notification", 1)
        setenv("CHAT_API_TOKEN", "chat-token-1", 1)
        defer {
            for name in ["GITHUB_WEBHOOK_SECRET", "CHAT_API_URL", "CHAT_API_TOKEN"] { unsetenv(name) }
        }
        let host = try ManifestHost()
        let headers = ["Content-Type": "application/x-www-form-urlencoded", "X-GitHub-Event": "push",
                       "X-GitHub-Delivery": "f-1", "X-Hub-Signature-256": HubSignature.signature(secret: "form-secret-1", body: body)]
        let ok = try await host.request("POST", "/hooks/github-push", body: body, headers: headers)
        #expect(ok.status == 200)
        let posted = try #require(chat.requests.first)
        #expect(try JSONValue(parsing: posted.body)["message"] == "[octo/hello] ada pushed to refs/heads/main: Form & more")
        await host.stop()
    }

    @Test func deploy() async throws {
        setenv("DEPLOY_TOKEN", "deploy-token-9", 1)
        defer { unsetenv("DEPLOY_TOKEN") }
        let secret = "hipchat-install-secret"
        let host = try ManifestHost(tokens: ["hipchat_secret:\(secret)"])
        let chat = try await host.hipchat("/deploy staging v1.2", signedWith: secret)
        let message = try #require(chat.json?["message"]?.stringValue)
        #expect(message.hasPrefix("deploy.sh: deploying v1.2 to staging (request "))
        #expect(message.hasSuffix(", by Ada Lovelace)"))
        #expect(try await host.hipchat("/deploy qa", signedWith: secret).json?["message"] == "usage: /deploy staging|production [REF]")
        #expect(try await host.hipchat("/deploy staging ;rm -rf /", signedWith: secret).json?["message"] == "usage: /deploy staging|production [REF]")
        #expect(try await host.hipchat("/deploy staging v1.2").status == 401)

        let route = try await host.request("POST", "/deploy/production?ref=abc123", headers: ["X-Deploy-Token": "deploy-token-9"])
        #expect(route.status == 200)
        #expect(route.text.hasPrefix("deploy.sh: deploying abc123 to production (request "))
        #expect(route.text.hasSuffix(", by webhook)"))
        let defaultRef = try await host.request("POST", "/deploy/staging", headers: ["X-Deploy-Token": "deploy-token-9"])
        #expect(defaultRef.text.hasPrefix("deploy.sh: deploying main to staging"))
        #expect(try await host.request("POST", "/deploy/production", headers: ["X-Deploy-Token": "wrong"]).status == 401)
        #expect(try await host.request("POST", "/deploy/production").status == 401)
        let unknown = try await host.request("POST", "/deploy/qa", headers: ["X-Deploy-Token": "deploy-token-9"])
        #expect(unknown.status == 400)
        #expect(unknown.text == "usage: /deploy staging|production [REF]")
        #expect(try await host.request("GET", "/deploy/staging").status == 405)
        await host.stop()
    }

    /// The README's threat model: without `hipchat_secret`, a HipChat request reaches `deploy` but cannot run it.
    @Test func deployFromAnUnverifiedChatRequestNeverRuns() async throws {
        setenv("DEPLOY_TOKEN", "deploy-token-9", 1)
        defer { unsetenv("DEPLOY_TOKEN") }
        let host = try ManifestHost()
        let chat = try await host.hipchat("/deploy production v9")
        #expect(chat.status == 401)
        #expect(chat.json?["error"]?.stringValue?.contains("deploy needs a verified chat request") == true)
        await host.stop()
    }

    @Test func aBadManifestIsRejectedAndTheHostServesTheRest() async throws {
        let directory = Fixtures.temporaryDirectory()
        try FileManager.default.copyItem(
            at: Fixtures.integrationsDirectory.appendingPathComponent("echo.json"), to: directory.appendingPathComponent("echo.json"))
        try #"{"actions": [{"reply": "{{nope}}"}]}"#.write(to: directory.appendingPathComponent("broken.json"), atomically: true, encoding: .utf8)
        let host = try ManifestHost(directory: directory)
        #expect(try await host.hipchat("/echo still here").json?["message"] == "still here")
        #expect(try await host.request("POST", "/hooks/broken").status == 404)
        #expect(host.log.contains("broken.json: actions[0].reply: unknown variable 'nope' in {{nope}}"))
        await host.stop()
    }

    @Test func checkCommandValidatesADirectory() async throws {
        #expect(await HostCommand.main(["integration-host", "check", Fixtures.integrationsDirectory.path]) == 0)
        let bad = Fixtures.temporaryDirectory()
        try #"{"actions": [{"exec": {"argv": []}}]}"#.write(to: bad.appendingPathComponent("deploy.json"), atomically: true, encoding: .utf8)
        #expect(await HostCommand.main(["integration-host", "check", bad.path]) == 1)
        let result = Catalog.check(directory: bad, loaders: IntegrationKinds.loaders())
        #expect(result.problems.map(\.description) == ["deploy.json: actions[0].exec.argv: must be a non-empty array of strings"])
    }
}
