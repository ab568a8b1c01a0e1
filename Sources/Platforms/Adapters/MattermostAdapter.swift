import Foundation
import HTTPServer
import IntegrationContract
import JSON

/// `POST /mattermost` (and `GET`, for commands whose Request Method is GET): Mattermost slash commands,
/// authenticated by the command's token (`Authorization: Token …`, or the `token` field of the form, JSON object
/// or query).
///
/// Settings: `mattermost_token` and/or `NAME.mattermost_token` (one per command; at least one required),
/// `mattermost_username` / `mattermost_icon_url` for the reply's poster (the username defaults to the
/// integration's name), `mattermost_ack_text`, and `mattermost_url` + `NAME.mattermost_bot_token` for posting
/// through the API when a late reply cannot go to the `response_url`.
public struct MattermostAdapter: ChatPlatformAdapter {
    public let name = "mattermost"
    public var methods: Set<HTTPMethod> { [.get, .post] }
    public var answerDeadline: Duration = .seconds(3)
    public let secrets: PlatformSecrets

    public init(secrets: PlatformSecrets) {
        self.secrets = secrets
    }

    @discardableResult
    public func verify(_ request: HTTPRequest, now: Date) throws(VerificationFailure) -> SenderProof? {
        let fields = MattermostAdapter.verifiedFields(request)
        var allowed: [String] = []
        if let global = secrets.value("mattermost_token") { allowed.append(global) }
        if let command = fields.command.flatMap(CommandName.parse),
            let own = secrets.value("mattermost_token", integration: command)
        {
            allowed.append(own)
        }
        guard !allowed.isEmpty else {
            throw VerificationFailure("no Mattermost token configured for this command (token mattermost_token)")
        }
        try MattermostToken.verify(headers: request.headers, bodyToken: fields.token, allowed: allowed)
        return .mattermostToken
    }

    /// The body's `command` and `token`, read as `decode` reads the body: a form, or a JSON object (only these two
    /// members are picked out); the form fields of a body without a type; the query's for a GET.
    private static func verifiedFields(_ request: HTTPRequest) -> (command: String?, token: String?) {
        if request.method == .get {
            let query = request.queryItems
            return (query.first { $0.name == "command" }?.value, query.first { $0.name == "token" }?.value)
        }
        if let payload = try? RequestPayload.decode(request, picking: verifiedPaths), payload.string == nil {
            return (payload.value(atPath: "command")?.stringValue, payload.value(atPath: "token")?.stringValue)
        }
        let form = request.formFields
        return (form.first { $0.name == "command" }?.value, form.first { $0.name == "token" }?.value)
    }

    private static let verifiedPaths = JSONPaths(["command", "token"])

    public func decode(_ request: HTTPRequest) throws(IntegrationError) -> PlatformEvent {
        let fields = try MattermostAdapter.fields(request)
        guard let command = fields["command"]?.stringValue else {
            throw IntegrationError.badRequest("not a Mattermost slash command: missing command")
        }
        guard let commandName = CommandName.parse(command) else {
            throw IntegrationError.badRequest("command must be /NAME with NAME matching [A-Za-z0-9_-]{1,64}")
        }
        let text = fields["text"]?.stringValue ?? ""
        let notification = SlashCommandForm.notification(
            platform: .mattermost, commandName: commandName, fields: fields, timestamp: nil, request: request)
        let trigger = fields["trigger_id"]?.stringValue
        return PlatformEvent(
            notification: notification, target: .command(commandName), query: text,
            deliveryID: trigger.map { "mattermost:trigger:\($0)" })
    }

    /// Mattermost posts a form, or sends the same fields as the query of a GET when the command's "Request Method"
    /// is GET (https://developers.mattermost.com/integrate/slash-commands/custom/); a JSON object body is read as
    /// the form.
    static func fields(_ request: HTTPRequest) throws(IntegrationError) -> JSONValue {
        if request.method == .get { return RequestPayload.formObject(request.queryItems) }
        let payload = try RequestPayload.decode(request)
        guard case .object = payload else { throw IntegrationError.badRequest("not a Mattermost slash command") }
        return payload
    }

    public func render(_ reply: Reply?, for event: PlatformEvent) -> HTTPResponse {
        guard let reply else { return HTTPResponse(status: .ok) }
        return ReplyFormat.jsonResponse(body(reply, for: event))
    }

    private func body(_ reply: Reply, for event: PlatformEvent) -> JSONValue {
        let integration = event.integrationName
        return ReplyFormat.mattermost(
            reply, username: secrets.value("mattermost_username", integrationOrGlobal: integration) ?? integration,
            iconURL: secrets.value("mattermost_icon_url", integrationOrGlobal: integration))
    }

    public func ack(for event: PlatformEvent) -> HTTPResponse {
        guard let text = secrets.value("mattermost_ack_text") else { return HTTPResponse(status: .ok) }
        return ReplyFormat.jsonResponse(["response_type": "ephemeral", "text": .string(text)])
    }

    public func lateDelivery(of reply: Reply, for event: PlatformEvent) -> OutboundMessage? {
        let integration = event.integrationName
        var api: OutboundMessage?
        if let base = secrets.value("mattermost_url").flatMap(OutboundMessage.webURL),
            let token = secrets.value("mattermost_bot_token", integrationOrGlobal: integration),
            let channel = event.notification.channel?.id
        {
            let post: JSONValue = ["channel_id": .string(channel), "message": .string(reply.text)]
            api = OutboundMessage(
                url: base.appendingPathComponent("api/v4/posts"), headers: [("Authorization", "Bearer \(token)")],
                body: post.serializedBytes())
        }
        guard let responseURL = event.notification.responseURL.flatMap(OutboundMessage.webURL) else { return api }
        return OutboundMessage(
            url: responseURL, body: body(reply, for: event).serializedBytes(), budgetKey: responseURL.absoluteString,
            fallback: api)
    }
}
