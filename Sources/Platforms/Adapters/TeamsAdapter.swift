import Foundation
import HTTPServer
import IntegrationContract
import JSON

/// `POST /teams`: Microsoft Teams outgoing webhooks, signed with `Authorization: HMAC …` (HMAC-SHA256 of the body
/// keyed by the base64-decoded security token). The first `<at>Name</at>` mention names the command.
///
/// Settings: `teams_secret` and/or `NAME.teams_secret` (base64 security tokens; at least one required),
/// `teams_ack_text`, and `NAME.teams_webhook_url` / `teams_webhook_url` (a Workflows URL or a legacy connector's
/// incoming webhook) for late replies, with `teams_webhook_kind` when the URL does not tell which (`TeamsWebhookKind`).
public struct TeamsAdapter: ChatPlatformAdapter {
    public let name = "teams"
    public var answerDeadline: Duration = .seconds(5)
    /// Teams gives five seconds in all, and the answer still has to cross the internet: ack at 3.5 s, not 4.5 s.
    public var ackMargin: Duration? { .milliseconds(1500) }
    public let secrets: PlatformSecrets

    public init(secrets: PlatformSecrets) {
        self.secrets = secrets
    }

    @discardableResult
    public func verify(_ request: HTTPRequest, now: Date) throws(VerificationFailure) -> SenderProof? {
        var tokens: [String] = []
        if let global = secrets.value("teams_secret") { tokens.append(global) }
        // The mention picks the integration whose own token signs the request; before the signature is checked,
        // only that one field is read from the body (nothing else of it is built).
        if let text = (try? JSONValue.pick(TeamsAdapter.textPath, from: request.body))?["text"]?.stringValue,
            let mention = TeamsAdapter.split(text).command, let own = secrets.value("teams_secret", integration: mention)
        {
            tokens.append(own)
        }
        guard !tokens.isEmpty else { throw VerificationFailure("no Teams security token configured (token teams_secret)") }
        try TeamsSignature.verify(headers: request.headers, body: request.body, securityTokens: tokens)
        return .teamsHMAC
    }

    private static let textPath = JSONPaths(["text"])

    public func decode(_ request: HTTPRequest) throws(IntegrationError) -> PlatformEvent {
        let payload: JSONValue
        do {
            payload = try request.jsonBody()
        } catch {
            throw IntegrationError.badRequest("body is not valid JSON: \(error)")
        }
        guard case .object = payload, let html = payload["text"]?.stringValue else {
            throw IntegrationError.badRequest("not a Teams message: missing text")
        }
        let (command, query, text) = TeamsAdapter.split(html)
        guard let command else { throw IntegrationError.badRequest("Teams message does not start with a mention") }
        let conversation = payload.value(atPath: "conversation.id")?.stringValue
            ?? payload.value(atPath: "channelData.teamsChannelId")?.stringValue
        let notification = Notification(
            platform: .teams,
            team: payload.value(atPath: "channelData.team.id")?.stringValue
                ?? payload.value(atPath: "channelData.tenant.id")?.stringValue,
            channel: conversation.map {
                Notification.Channel(id: $0, name: payload.value(atPath: "channelData.channel.name")?.stringValue)
            },
            sender: payload.value(atPath: "from.id")?.stringValue.map {
                Notification.Sender(id: $0, name: payload.value(atPath: "from.name")?.stringValue)
            },
            text: text, command: command, responseURL: nil,
            timestamp: payload["timestamp"]?.stringValue.flatMap(TeamsAdapter.parseDate),
            event: payload["type"]?.stringValue ?? "message", headers: request.headers, rawBody: request.body,
            payload: payload)
        return PlatformEvent(
            notification: notification, target: .command(command), query: query,
            deliveryID: payload["id"]?.stringValue.map { "teams:\(conversation ?? ""):\($0)" })
    }

    /// Splits `<at>Echo</at>&nbsp;hello teams` into the command (`echo`), the query (`hello teams`) and the
    /// plain text (`Echo hello teams`). Mention names are lowercased with spaces as `-`.
    static func split(_ html: String) -> (command: String?, query: String, text: String) {
        var command: String?
        var text = html
        if let open = html.range(of: "<at>"), let close = html.range(of: "</at>", range: open.upperBound..<html.endIndex),
            html[..<open.lowerBound].allSatisfy(\.isWhitespace)
        {
            let mention = HTMLText.plain(String(html[open.upperBound..<close.lowerBound]))
                .trimmingCharacters(in: .whitespaces)
            let name = mention.lowercased().replacingOccurrences(of: " ", with: "-")
            command = IntegrationName.isValid(name) ? name : nil
            let rest = HTMLText.plain(String(html[close.upperBound...])).trimmingCharacters(in: .whitespacesAndNewlines)
            text = rest.isEmpty ? mention : "\(mention) \(rest)"
            return (command, rest, text)
        }
        text = HTMLText.plain(html).trimmingCharacters(in: .whitespacesAndNewlines)
        return (nil, text, text)
    }

    static func parseDate(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text)
    }

    public func render(_ reply: Reply?, for event: PlatformEvent) -> HTTPResponse {
        guard let reply else { return HTTPResponse(status: .ok) }
        return ReplyFormat.jsonResponse(ReplyFormat.teams(reply))
    }

    public func ack(for event: PlatformEvent) -> HTTPResponse {
        guard let text = secrets.value("teams_ack_text") else { return HTTPResponse(status: .ok) }
        return ReplyFormat.jsonResponse(["type": "message", "text": .string(text)])
    }

    public func lateDelivery(of reply: Reply, for event: PlatformEvent) -> OutboundMessage? {
        let integration = event.integrationName
        guard let url = secrets.value("teams_webhook_url", integrationOrGlobal: integration).flatMap(OutboundMessage.webURL)
        else { return nil }
        let kind = secrets.value("teams_webhook_kind", integrationOrGlobal: integration).flatMap(TeamsWebhookKind.init(setting:))
            ?? TeamsWebhookKind(url: url)
        return OutboundMessage(url: url, body: kind.body(for: reply).serializedBytes())
    }
}
