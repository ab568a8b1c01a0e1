import Foundation
import HTTPServer
import IntegrationContract
import JSON

/// `POST /slack`: Slack slash commands (form bodies), interactivity (a form whose `payload` is JSON, see
/// `SlackAdapter+Interactivity.swift`) and Events API callbacks (JSON bodies, see `SlackAdapter+Events.swift`), signed with the app's signing secret (v0, 5-minute window).
///
/// Settings (see `PlatformSecrets`): `slack_signing_secret` (required), `slack_ack_text`, `slack_api_url`
/// (default `https://slack.com/api`), and `NAME.slack_bot_token` / `slack_bot_token` for `chat.postMessage` when a
/// late reply cannot go to the `response_url`.
public struct SlackAdapter: ChatPlatformAdapter {
    public let name = "slack"
    public var answerDeadline: Duration = .seconds(3)
    public let secrets: PlatformSecrets
    public var apiBaseURL: URL

    public init(secrets: PlatformSecrets) {
        self.secrets = secrets
        self.apiBaseURL = secrets.value("slack_api_url").flatMap(URL.init(string:)) ?? URL(string: "https://slack.com/api")!
    }

    public func probe(_ request: HTTPRequest) -> HTTPResponse? {
        request.formFields.contains { $0.name == "ssl_check" && $0.value == "1" } ? HTTPResponse(status: .ok) : nil
    }

    @discardableResult
    public func verify(_ request: HTTPRequest, now: Date) throws(VerificationFailure) -> SenderProof? {
        guard let secret = secrets.value("slack_signing_secret") else {
            throw VerificationFailure("no Slack signing secret configured (token slack_signing_secret)")
        }
        try SlackSignature.verify(headers: request.headers, body: request.body, secret: secret, now: now)
        return .slackSignature
    }

    public func decode(_ request: HTTPRequest) throws(IntegrationError) -> PlatformEvent {
        if SlackAdapter.isEventsAPI(request) { return try decodeEventCallback(request) }
        if let payload = SlackAdapter.interactionPayload(request), let interaction = SlackAdapter.interaction(in: payload) {
            return decodeInteraction(interaction, request: request)
        }
        let fields = RequestPayload.formObject(request.formFields)
        guard let command = fields["command"]?.stringValue else {
            throw IntegrationError.badRequest("not a Slack slash command: missing command")
        }
        guard let commandName = CommandName.parse(command) else {
            throw IntegrationError.badRequest("command must be /NAME with NAME matching [A-Za-z0-9_-]{1,64}")
        }
        let text = fields["text"]?.stringValue ?? ""
        let timestamp = request.headers["X-Slack-Request-Timestamp"].flatMap(TimeInterval.init).map {
            Date(timeIntervalSince1970: $0)
        }
        let notification = SlashCommandForm.notification(
            platform: .slack, commandName: commandName, fields: fields, timestamp: timestamp, request: request)
        return PlatformEvent(
            notification: notification, target: .command(commandName), query: text,
            deliveryID: SlackAdapter.deliveryID(request, fields: fields))
    }

    /// The request's identity: the trigger id of a slash command, else its timestamp and signature.
    static func deliveryID(_ request: HTTPRequest, fields: JSONValue) -> String? {
        if let trigger = fields["trigger_id"]?.stringValue, !trigger.isEmpty { return "slack:trigger:\(trigger)" }
        guard let timestamp = request.headers["X-Slack-Request-Timestamp"],
            let signature = request.headers["X-Slack-Signature"]
        else { return nil }
        return "slack:signed:\(timestamp):\(signature)"
    }

    public func render(_ reply: Reply?, for event: PlatformEvent) -> HTTPResponse {
        guard let reply else { return HTTPResponse(status: .ok) }
        return ReplyFormat.jsonResponse(ReplyFormat.slack(reply))
    }

    /// An Events API mention or DM whose first word is no command is chatter, not a mistake: 200 and ignored (the
    /// gateway logs it). Anything else fails the event, and Slack retries it three times and then disables the
    /// subscription (https://api.slack.com/apis/events-api#failure_conditions).
    public func unknownTarget(for event: PlatformEvent) -> HTTPResponse {
        guard event.repliesInline else { return HTTPResponse(status: .ok) }
        return render(Reply("no integration answers /\(event.target.name)", visibility: .ephemeral), for: event)
    }

    public func ack(for event: PlatformEvent) -> HTTPResponse {
        guard let text = secrets.value("slack_ack_text") else { return HTTPResponse(status: .ok) }
        return ReplyFormat.jsonResponse(["response_type": "ephemeral", "text": .string(text)])
    }

    public func lateDelivery(of reply: Reply, for event: PlatformEvent) -> OutboundMessage? {
        let body = ReplyFormat.slack(reply).serializedBytes()
        let api = postMessage(reply, for: event)
        guard let responseURL = event.notification.responseURL.flatMap(OutboundMessage.webURL) else { return api }
        return OutboundMessage(url: responseURL, body: body, budgetKey: responseURL.absoluteString, fallback: api)
    }

    /// What every Web API call is sent as: Slack warns about JSON posted without the charset
    /// (https://api.slack.com/web#posting_json).
    static let webAPIContentType = "application/json; charset=utf-8"

    /// `chat.postMessage` with the integration's bot token, in the event's channel (and thread, for events); an
    /// ephemeral reply to a known user goes through `chat.postEphemeral` instead, since `chat.postMessage` has no
    /// ephemeral mode and ignores `response_type` (https://api.slack.com/methods/chat.postEphemeral). A reply that
    /// does not say is ephemeral for a slash command or an interaction, as its inline answer would be, and public
    /// for an Events API mention or DM.
    func postMessage(_ reply: Reply, for event: PlatformEvent) -> OutboundMessage? {
        let integration = event.integrationName
        guard let token = secrets.value("slack_bot_token", integrationOrGlobal: integration),
            let channel = event.notification.channel?.id
        else { return nil }
        var message = ReplyFormat.slack(reply).objectValue ?? [:]
        message["response_type"] = nil
        message["channel"] = .string(channel)
        var method = "chat.postMessage"
        let isEvent = event.notification.payload["type"]?.stringValue == "event_callback"
        let visibility = reply.visibility ?? (isEvent ? .inChannel : .ephemeral)
        if reply.json == nil, visibility == .ephemeral, let user = event.notification.sender?.id {
            message["user"] = .string(user)
            method = "chat.postEphemeral"
        }
        if let thread = event.notification.payload.value(atPath: "event.thread_ts")?.stringValue {
            message["thread_ts"] = .string(thread)
        }
        return OutboundMessage(
            url: apiBaseURL.appendingPathComponent(method), headers: [("Authorization", "Bearer \(token)")],
            body: JSONValue.object(message).serializedBytes(), contentType: SlackAdapter.webAPIContentType,
            acceptance: .slackWebAPI)
    }
}
