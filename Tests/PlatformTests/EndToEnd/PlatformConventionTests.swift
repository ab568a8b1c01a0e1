import Crypto
import Foundation
import HTTPServer
import IntegrationContract
import Platforms
import JSON
import Testing
import TestSupport

/// Platform conventions beyond the common path: Mattermost slash commands configured as GET, and late Teams replies
/// in the shape the destination URL expects.
@Suite struct PlatformConventionTests {
    /// A Mattermost custom slash command's "Request Method" may be GET: the same fields come as the query
    /// (https://developers.mattermost.com/integrate/slash-commands/custom/), verified by the same token.
    @Test func mattermostGetCommandsWorkLikePost() async throws {
        let fixture = try Fixtures.load("mattermost/slash_command.json")
        let echo = TestIntegration("echo") { Reply("\($0.notification.platform.rawValue): \($0.query)") }
        let host = try PlatformTestHost(
            tokens: ["mattermost_token:\(Fixtures.string(fixture, "token"))"], integrations: [echo])
        let query = Fixtures.string(fixture, "body")

        let viaQuery = try await Client.get(host.url("/mattermost?\(query)"))
        #expect(viaQuery.status == 200)
        #expect(viaQuery.json == ["response_type": "ephemeral", "text": "mattermost: status now", "username": "echo"])

        let noToken = query.replacingOccurrences(of: "&token=\(Fixtures.string(fixture, "token"))", with: "")
            .replacingOccurrences(of: "trigger_id=", with: "trigger_id=x")
        #expect(try await Client.get(host.url("/mattermost?\(noToken)")).status == 401)
        let header = try await Client.get(
            host.url("/mattermost?\(noToken)"), headers: ["Authorization": Fixtures.string(fixture, "authorization_header")])
        #expect(header.status == 200)
        let forged = query.replacingOccurrences(of: "token=xr3j", with: "token=xx3j").replacingOccurrences(of: "trigger_id=", with: "trigger_id=y")
        #expect(try await Client.get(host.url("/mattermost?\(forged)")).status == 401)
        #expect(echo.runs == 2)

        // Other methods are still refused, naming the two it takes.
        let put = try await Client.send("PUT", host.url("/mattermost"), body: query)
        #expect(put.status == 405 && put.headers["allow"] == "GET, POST")
        await host.stop()
    }

    /// Teams "Workflows" URLs (Power Automate's "When a Teams webhook request is received") take a message with an
    /// Adaptive Card attachment; Office 365 connectors' incoming webhooks, being retired, take `{"text"}`
    /// (https://learn.microsoft.com/en-us/microsoftteams/platform/webhooks-and-connectors/how-to/add-incoming-webhook).
    /// The kind is told by the URL (a `/workflows/` path, Power Automate's hosts) or by `teams_webhook_kind`.
    @Test func lateTeamsRepliesTakeTheShapeTheirURLExpects() async throws {
        let sink = RecordingHandler()
        let sinkServer = try LoopbackServer(sink)
        let securityToken = Fixtures.string(try Fixtures.load("teams/outgoing_webhook.json"), "security_token_base64")
        let finish = Gate()
        let names = ["workflow", "connector", "forced"]
        let integrations = names.map { name in
            TestIntegration(name) { invocation in
                await finish.pass()
                return Reply("late \(invocation.query)")
            }
        }
        let host = try PlatformTestHost(
            tokens: [
                "teams_secret:\(securityToken)",
                "workflow.teams_webhook_url:\(sinkServer.url("/workflows/abc/triggers/manual/paths/invoke"))",
                "connector.teams_webhook_url:\(sinkServer.url("/webhookb2/abc/IncomingWebhook/def"))",
                "forced.teams_webhook_url:\(sinkServer.url("/flow"))", "forced.teams_webhook_kind:workflows",
            ],
            integrations: integrations, deadline: .seconds(1))
        for (index, name) in names.enumerated() {
            let body = #"{"type":"message","id":"\#(index)","text":"<at>\#(name)</at> hi \#(name)","from":{"id":"29:1"},"conversation":{"id":"19:c"}}"#
            let authorization = try #require(TeamsSignature.authorization(securityToken: securityToken, body: Array(body.utf8)))
            let ack = try await Client.post(
                host.url("/teams"), headers: ["Content-Type": "application/json", "Authorization": authorization], body: body)
            #expect(ack.status == 200)
        }
        finish.open()

        let received = await sink.waitFor(3)
        let byPath = Dictionary(received.map { ($0.path, $0.json) }, uniquingKeysWith: { first, _ in first })
        func card(_ text: String) -> JSONValue {
            [
                "type": "message",
                "attachments": [[
                    "contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": nil,
                    "content": [
                        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json", "type": "AdaptiveCard",
                        "version": "1.4", "body": [["type": "TextBlock", "text": .string(text), "wrap": true]],
                    ],
                ]],
            ]
        }
        #expect(byPath["/workflows/abc/triggers/manual/paths/invoke"] == card("late hi workflow"))
        #expect(byPath["/webhookb2/abc/IncomingWebhook/def"] == ["text": "late hi connector"])
        #expect(byPath["/flow"] == card("late hi forced"))
        await host.stop()
        await sinkServer.stop()
    }
}
