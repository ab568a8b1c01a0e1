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

/// Requests of each platform decoded into the one Notification, non-ASCII text included.
@Suite struct DecodingTests {
    /// Slack's slash-command form fields (https://api.slack.com/interactivity/slash-commands#app_command_handling).
    @Test func slackSlashCommand() throws {
        let vector = try #require(try Fixtures.load("slack/signing_vectors.json")["echo_command"])
        let request = VerificationTests.slackRequest(vector)
        let event = try SlackAdapter(secrets: try Fixtures.secrets([])).decode(request)
        let n = event.notification
        #expect(event.target == .command("echo"))
        #expect(event.query == "hello über 42 & more")
        #expect(n.text == "/echo hello über 42 & more")
        #expect(n.platform == .slack)
        #expect(n.team == "T0001")
        #expect(n.channel == Notification.Channel(id: "C2147483705", name: "ops"))
        #expect(n.sender == Notification.Sender(id: "U2147483697", name: "ada", handle: "ada"))
        #expect(n.responseURL == "http://127.0.0.1:18999/slack-response/T0001/1/abc")
        #expect(n.timestamp == Date(timeIntervalSince1970: 1_700_000_000))
        #expect(n.rawBody == request.body)
        #expect(n.payload["api_app_id"] == "A123456")
        #expect(event.deliveryID == "slack:trigger:13345224609.738474920.8088930838d88f008e0")

        let json = n.jsonValue
        #expect(json["platform"] == "slack")
        #expect(json.value(atPath: "channel.name") == "ops")
        #expect(json.value(atPath: "sender.handle") == "ada")
        #expect(json["command"] == "echo")
        #expect(json["response_url"] == "http://127.0.0.1:18999/slack-response/T0001/1/abc")
        #expect(json["timestamp"] == "2023-11-14T22:13:20Z")
        #expect(json.value(atPath: "headers.x-slack-request-timestamp") == "1700000000")
        #expect(json.value(atPath: "payload.text") == "hello über 42 & more")
        #expect(json["hipchat"] == .null)
        #expect(json["raw_body"]?.stringValue == Fixtures.string(vector, "body"))
    }

    /// Slack's `ssl_check=1` probe is answered and runs nothing (https://api.slack.com/interactivity/slash-commands#ssl_check).
    @Test func slackProbeAndBadCommands() throws {
        let adapter = SlackAdapter(secrets: try Fixtures.secrets([]))
        #expect(adapter.probe(Fixtures.request("/slack", body: "ssl_check=1&token=x"))?.status == .ok)
        #expect(adapter.probe(Fixtures.request("/slack", body: "command=%2Fecho")) == nil)
        #expect(throws: IntegrationError.self) { try adapter.decode(Fixtures.request("/slack", body: "text=hi")) }
        #expect(throws: IntegrationError.self) { try adapter.decode(Fixtures.request("/slack", body: "command=%2F..%2Fetc")) }
    }

    /// Mattermost's outgoing slash-command request (https://developers.mattermost.com/integrate/slash-commands/custom/).
    @Test func mattermostSlashCommand() throws {
        let fixture = try Fixtures.load("mattermost/slash_command.json")
        let request = Fixtures.request(
            "/mattermost", headers: ["Content-Type": "application/x-www-form-urlencoded"], body: Fixtures.string(fixture, "body"))
        let event = try MattermostAdapter(secrets: try Fixtures.secrets([])).decode(request)
        #expect(event.target == .command("echo"))
        #expect(event.query == "status now")
        #expect(event.notification.platform == .mattermost)
        #expect(event.notification.channel == Notification.Channel(id: "fukofbs3bpyaxdoo1by5ofxiqo", name: "town-square"))
        #expect(event.notification.responseURL == "http://127.0.0.1:18999/hooks/commands/qj3bsz7q4ty8f8m5i71a6o58ao")
        #expect(event.notification.team == "8tgf8wr6mjgazm1c4tnxwdsfwr")
    }

    /// Mattermost may send the same fields as JSON (https://developers.mattermost.com/integrate/slash-commands/custom/).
    @Test func mattermostJSONBodyWithNonASCII() throws {
        let body = #"{"command":"/echo","text":"Grüße aus Köln 🌍","channel_id":"c1","user_id":"u1","user_name":"jörg"}"#
        let request = Fixtures.request("/mattermost", headers: ["Content-Type": "application/json"], body: body)
        let event = try MattermostAdapter(secrets: try Fixtures.secrets([])).decode(request)
        #expect(event.query == "Grüße aus Köln 🌍")
        #expect(event.notification.sender?.name == "jörg")
    }

    /// A Teams outgoing webhook's activity, the mention naming the bot (https://learn.microsoft.com/en-us/microsoftteams/platform/webhooks-and-connectors/how-to/add-outgoing-webhook).
    @Test func teamsMention() throws {
        let fixture = try Fixtures.load("teams/outgoing_webhook.json")
        let request = Fixtures.request("/teams", headers: ["Content-Type": "application/json"], body: Fixtures.string(fixture, "body"))
        let event = try TeamsAdapter(secrets: try Fixtures.secrets([])).decode(request)
        #expect(event.target == .command("echo"))
        #expect(event.query == "hello teams")
        #expect(event.notification.text == "Echo hello teams")
        #expect(event.notification.sender == Notification.Sender(id: "29:1abc", name: "Ada"))
        #expect(event.notification.channel?.id == "19:abc@thread.skype")
        #expect(event.notification.timestamp == Date(timeIntervalSince1970: 1_485_983_407.437))
        #expect(event.notification.jsonValue["timestamp"] == "2017-02-01T21:10:07.437Z")

        let html = #"{"type":"message","id":"2","text":"<at>Deploy Bot</at>&nbsp;<p>prod &amp; staging – ünïcode</p>"}"#
        let other = try TeamsAdapter(secrets: try Fixtures.secrets([])).decode(Fixtures.request("/teams", body: html))
        #expect(other.target == .command("deploy-bot"))
        #expect(other.query == "prod & staging – ünïcode")
        #expect(throws: IntegrationError.self) {
            try TeamsAdapter(secrets: try Fixtures.secrets([])).decode(Fixtures.request("/teams", body: #"{"text":"no mention"}"#))
        }
    }

    /// GitHub's push event and delivery headers (https://docs.github.com/en/webhooks/webhook-events-and-payloads#push).
    @Test func githubPush() throws {
        let push = try Fixtures.load("github/signing_vectors.json")["push"]
        var headers: HTTPHeaders = ["Content-Type": "application/json", "X-GitHub-Event": "push"]
        headers.add("X-GitHub-Delivery", Fixtures.string(push, "delivery"))
        let event = try WebhookAdapter(secrets: try Fixtures.secrets([])).decode(
            Fixtures.request("/hooks/ci", headers: headers, body: Fixtures.string(push, "payload")))
        #expect(event.target == .integration("ci"))
        #expect(event.notification.platform == .github)
        #expect(event.notification.event == "push")
        #expect(event.notification.channel == Notification.Channel(id: "1296269", name: "octo/hello"))
        #expect(event.notification.sender?.name == "ada")
        #expect(event.notification.payload.value(atPath: "head_commit.message") == "Fix the thing")
        #expect(event.deliveryID == "github:ci:72d3162e-cc78-11e3-81ab-4c9367dc0958")
    }

    /// GitLab's push event (https://docs.gitlab.com/ee/user/project/integrations/webhook_events.html#push-events).
    @Test func gitlabPush() throws {
        let fixture = try Fixtures.load("gitlab/push.json")
        let headers: HTTPHeaders = [
            "Content-Type": "application/json", "X-Gitlab-Event": "Push Hook", "X-Gitlab-Event-UUID": "u-1",
        ]
        let event = try WebhookAdapter(secrets: try Fixtures.secrets([])).decode(
            Fixtures.request("/hooks/ci", headers: headers, body: Fixtures.string(fixture, "payload")))
        #expect(event.notification.platform == .gitlab)
        #expect(event.notification.event == "Push Hook")
        #expect(event.notification.channel?.name == "octo/hello")
        #expect(event.notification.sender?.id == "ada")
        #expect(event.deliveryID == "gitlab:ci:u-1")
    }

    /// GitHub's default webhook content type is `application/x-www-form-urlencoded`, the JSON in a `payload`
    /// field (https://docs.github.com/en/webhooks/webhook-events-and-payloads#delivery-headers).
    @Test func githubFormEncodedPayloadIsTheJSONDocument() throws {
        let adapter = WebhookAdapter(secrets: try Fixtures.secrets([]))
        let document = #"{"ref":"refs/heads/main","repository":{"id":7,"full_name":"octo/hello"},"pusher":{"name":"ada"}}"#
        let form = "payload=" + document.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        let event = try adapter.decode(Fixtures.request(
            "/hooks/ci", headers: ["Content-Type": "application/x-www-form-urlencoded", "X-GitHub-Event": "push"], body: form))
        #expect(event.notification.platform == .github)
        #expect(event.notification.channel?.name == "octo/hello")
        #expect(event.notification.sender?.name == "ada")
        #expect(event.notification.payload["ref"] == "refs/heads/main")
        #expect(event.notification.rawText == form)
        #expect(throws: IntegrationError.badRequest("the form field payload is not valid JSON")) {
            try adapter.decode(Fixtures.request(
                "/hooks/ci", headers: ["Content-Type": "application/x-www-form-urlencoded"], body: "payload=%7Bnope"))
        }
        // Other forms keep their fields.
        let two = try adapter.decode(Fixtures.request(
            "/hooks/ci", headers: ["Content-Type": "application/x-www-form-urlencoded"], body: "payload=%7B%7D&x=1"))
        #expect(two.notification.payload == ["payload": "{}", "x": "1"])
    }

    /// Generic webhooks as adnanh/webhook reads them: JSON, form and text bodies (https://github.com/adnanh/webhook/blob/master/docs/Referencing-Request-Values.md).
    @Test func genericBodies() throws {
        let adapter = WebhookAdapter(secrets: try Fixtures.secrets([]))
        let json = try adapter.decode(Fixtures.request(
            "/hooks/note", headers: ["Content-Type": "application/json; charset=utf-8"], body: #"{"text":"ça va? 日本語","n":1}"#))
        #expect(json.notification.platform == .generic)
        #expect(json.query == "ça va? 日本語")
        #expect(json.notification.payload["n"] == 1)

        let form = try adapter.decode(Fixtures.request(
            "/hooks/note", headers: ["Content-Type": "application/x-www-form-urlencoded"], body: "text=%C3%A7a+va%3F&text=second&x="))
        #expect(form.query == "ça va?")
        #expect(form.notification.payload == ["text": "ça va?", "x": ""])

        #expect(form.notification.rawText == "text=%C3%A7a+va%3F&text=second&x=")

        let text = try adapter.decode(Fixtures.request("/hooks/note", headers: ["Content-Type": "text/plain"], body: "naïve text"))
        #expect(text.query == "naïve text")
        #expect(text.notification.payload == "naïve text")
        #expect(text.notification.rawText == "naïve text")

        // `curl -d 'hello'` sends a form type; a body with no `=` has no fields, so it is the text it looks like.
        let curlDefault = try adapter.decode(Fixtures.request(
            "/hooks/note", headers: ["Content-Type": "application/x-www-form-urlencoded"], body: "hello"))
        #expect(curlDefault.query == "hello")
        #expect(curlDefault.notification.payload == "hello")

        // A JSON document sent as text is read as JSON; JSON media types in any case, with parameters or a
        // `+json` suffix, must hold JSON.
        let untyped = try adapter.decode(Fixtures.request("/hooks/note", headers: ["Content-Type": "text/plain"], body: #"{"text":"hi"}"#))
        #expect(untyped.query == "hi")
        #expect(untyped.notification.payload == ["text": "hi"])
        #expect(untyped.notification.payloadIsRawBody)
        for type in ["application/json", " Application/JSON ; charset=utf-8", "application/vnd.github+JSON"] {
            #expect(throws: IntegrationError.self) {
                try adapter.decode(Fixtures.request("/hooks/note", headers: ["Content-Type": type], body: "{nope"))
            }
        }
        let quoted = try adapter.decode(Fixtures.request("/hooks/note", headers: ["Content-Type": "application/json"], body: #""just text""#))
        #expect(quoted.query == "just text")
        #expect(throws: IntegrationError.self) { try adapter.decode(Fixtures.request("/hooks/../x", body: "")) }
    }

    /// HipChat's room_message webhook (https://www.hipchat.com/docs/apiv2/webhooks#room_message, archived), as hipchat-integration's README shows it.
    @Test func notificationJSONForHipChat() throws {
        let document = try Fixtures.load("hipchat/room_message.json")
        let message = try HipChatMessage(json: document)
        let notification = Notification(
            platform: .hipchat, channel: Notification.Channel(id: String(message.roomID), name: message.roomName),
            text: message.message, headers: ["X-Thing": "1", "x-thing": "2"], payload: document, hipchat: message)
        let json = notification.jsonValue
        #expect(json.value(atPath: "hipchat.room_id") == 1234)
        #expect(json.value(atPath: "hipchat.message") == "/echo hello there")
        #expect(json.value(atPath: "headers.x-thing") == "1, 2")
        #expect(json["sender"] == .null)
        #expect(json["timestamp"] == .null)
        #expect(json["verified_by"] == .null)
        let reparsed = try JSONValue(parsing: json.serialized())
        #expect(reparsed == json)
        var verified = notification
        verified.verifiedBy = .hipchatJWT
        #expect(verified.jsonValue["verified_by"] == "hipchat_jwt")
        #expect(try Notification(json: verified.jsonValue).verifiedBy == .hipchatJWT)
    }
}

/// Slack's Events API on /slack: challenge, actionable events, and the events that run nothing.
@Suite struct SlackEventsDecodingTests {
    static let adapter = SlackAdapter(secrets: PlatformSecrets(tokens: Tokens()))

    static func request(_ json: String) -> HTTPRequest {
        Fixtures.request("/slack", headers: ["Content-Type": "application/json"], body: json)
    }

    /// The Events API's `url_verification` handshake (https://api.slack.com/events/url_verification).
    @Test func challenge() throws {
        let answer = try #require(Self.adapter.handshake(Self.request(#"{"type":"url_verification","challenge":"3eZbrw1a","token":"x"}"#)))
        #expect(try JSONValue(parsing: answer.body) == ["challenge": "3eZbrw1a"])
    }

    /// An `app_mention` event (https://api.slack.com/events/app_mention).
    @Test func appMention() throws {
        let body = #"{"type":"event_callback","team_id":"T1","event_id":"Ev1","event":{"type":"app_mention","user":"U1","#
            + #""text":"<@U0BOT> deploy  prod – jetzt","ts":"1700000000.000100","channel":"C1","thread_ts":"1699999999.1"}}"#
        #expect(Self.adapter.handshake(Self.request(body)) == nil)
        let event = try Self.adapter.decode(Self.request(body))
        #expect(event.target == .command("deploy"))
        #expect(event.query == "prod – jetzt")
        #expect(event.notification.text == "deploy  prod – jetzt")
        #expect(event.notification.event == "app_mention")
        #expect(event.notification.channel?.id == "C1")
        #expect(event.deliveryID == "slack:event:Ev1")
        #expect(!event.repliesInline)
    }

    /// Bots' own messages, other channels and edited messages run nothing (https://api.slack.com/events/message#subtypes).
    @Test(arguments: [
        #"{"type":"event_callback","event":{"type":"app_mention","bot_id":"B1","text":"<@U0BOT> deploy","channel":"C1"}}"#,
        #"{"type":"event_callback","event":{"type":"message","channel_type":"channel","text":"deploy","channel":"C1"}}"#,
        #"{"type":"event_callback","event":{"type":"message","subtype":"message_changed","channel_type":"im","text":"deploy"}}"#,
        #"{"type":"event_callback","event":{"type":"app_mention","text":"<@U0BOT> ../etc","channel":"C1"}}"#,
        #"{"type":"event_callback","event":{"type":"reaction_added"}}"#,
    ])
    func eventsForNobodyRunNothing(body: String) throws {
        let answer = try #require(Self.adapter.handshake(Self.request(body)))
        #expect(answer.status == .ok && answer.body.isEmpty)
    }

    /// A direct message to the app, `message.im` (https://api.slack.com/events/message.im).
    @Test func directMessage() throws {
        let body = #"{"type":"event_callback","event_id":"Ev2","event":{"type":"message","channel_type":"im","user":"U1","text":"echo grüß dich","channel":"D1"}}"#
        let event = try Self.adapter.decode(Self.request(body))
        #expect(event.target == .command("echo"))
        #expect(event.query == "grüß dich")
    }
}
