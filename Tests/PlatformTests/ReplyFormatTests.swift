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

/// Replies rendered in each platform's format.
@Suite struct ReplyFormatTests {
    static func body(_ response: HTTPResponse) throws -> JSONValue { try JSONValue(parsing: response.body) }

    static func event(_ platform: Platform, command: String = "echo") -> PlatformEvent {
        PlatformEvent(notification: Notification(platform: platform, text: ""), target: .command(command), query: "")
    }

    /// Slack's reply body and `response_type` (https://api.slack.com/interactivity/slash-commands#responding_to_commands).
    @Test func slack() throws {
        let adapter = SlackAdapter(secrets: try Fixtures.secrets([]))
        let reply = Reply("hi ü", visibility: .ephemeral)
        let response = adapter.render(reply, for: Self.event(.slack))
        #expect(response.headers["Content-Type"] == "application/json")
        #expect(try Self.body(response) == ["response_type": "ephemeral", "text": "hi ü"])
        #expect(try Self.body(adapter.render(Reply("all", visibility: .inChannel), for: Self.event(.slack)))["response_type"] == "in_channel")
        // A reply that does not say is ephemeral, as Slack's own default.
        #expect(try Self.body(adapter.render(Reply("mine"), for: Self.event(.slack)))["response_type"] == "ephemeral")
        let none = adapter.render(nil, for: Self.event(.slack))
        #expect(none.status == .ok && none.body.isEmpty)
        #expect(adapter.ack(for: Self.event(.slack)).body.isEmpty)
        let withAck = SlackAdapter(secrets: try Fixtures.secrets(["slack_ack_text:Working on it"]))
        #expect(try Self.body(withAck.ack(for: Self.event(.slack))) == ["response_type": "ephemeral", "text": "Working on it"])
    }

    /// Mattermost's response parameters, `response_type` ephemeral unless set
    /// (https://developers.mattermost.com/integrate/slash-commands/custom/).
    @Test func mattermost() throws {
        let adapter = MattermostAdapter(secrets: try Fixtures.secrets(["mattermost_icon_url:https://example.com/i.png"]))
        let response = adapter.render(Reply("ok"), for: Self.event(.mattermost))
        #expect(response.headers["Content-Type"] == "application/json")
        #expect(try Self.body(response) == [
            "response_type": "ephemeral", "text": "ok", "username": "echo", "icon_url": "https://example.com/i.png",
        ])
        let forAll = adapter.render(Reply("ok", visibility: .inChannel), for: Self.event(.mattermost))
        #expect(try Self.body(forAll)["response_type"] == "in_channel")
        let named = MattermostAdapter(secrets: try Fixtures.secrets(["echo.mattermost_username:Echo Bot"]))
        #expect(try Self.body(named.render(Reply("ok"), for: Self.event(.mattermost)))["username"] == "Echo Bot")
    }

    /// A Teams outgoing webhook's reply message (https://learn.microsoft.com/en-us/microsoftteams/platform/webhooks-and-connectors/how-to/add-outgoing-webhook).
    @Test func teams() throws {
        let adapter = TeamsAdapter(secrets: try Fixtures.secrets([]))
        #expect(try Self.body(adapter.render(Reply("pong"), for: Self.event(.teams))) == ["type": "message", "text": "pong"])
    }

    /// Generic webhook replies as adnanh/webhook's `response-headers` and status (https://github.com/adnanh/webhook/blob/master/docs/Hook-Definition.md).
    @Test func generic() throws {
        let empty = ReplyFormat.generic(nil)
        #expect(empty.status == .ok && empty.body.isEmpty)

        let text = ReplyFormat.generic(Reply("créé", status: 201, headers: ["X-Thing": "1"]))
        #expect(text.status.code == 201)
        #expect(text.headers["Content-Type"] == "text/plain; charset=utf-8")
        #expect(text.headers["X-Thing"] == "1")
        #expect(String(decoding: text.body, as: UTF8.self) == "créé")

        let json = ReplyFormat.generic(Reply(
            "", json: ["ok": true], status: 422,
            headers: ["Content-Length": "99", "Content-Type": "application/problem+json"]))
        #expect(json.status.code == 422)
        #expect(json.headers["Content-Type"] == "application/problem+json")
        #expect(json.headers["Content-Length"] == nil)
        #expect(try Self.body(json) == ["ok": true])

        #expect(ReplyFormat.generic(Reply("", status: 99)).status.code == 500)
    }

    /// Slack Block Kit (https://api.slack.com/block-kit) and Teams cards are sent as the integration wrote them.
    @Test func repliesWithTheirOwnJSONAreSentAsTheyAre() throws {
        let blocks: JSONValue = ["blocks": [["type": "section"]]]
        let adapter = SlackAdapter(secrets: try Fixtures.secrets([]))
        #expect(try Self.body(adapter.render(Reply("", json: blocks), for: Self.event(.slack))) == blocks)
    }
}
