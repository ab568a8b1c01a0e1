import Foundation
import HTTPServer
import IntegrationContract
import JSON

/// HipChat room_message webhooks, as hipchat-integration took them: `POST /hipchat` answers inline with HipChat
/// JSON (`{"message", "message_format": "text", "color", "notify"}`, 204 for no reply) and a run past the deadline
/// gets 504; `POST /` acks with 204 at once and posts the reply to `{api}/v2/room/{id}/notification` with the
/// room's token (`ROOM:INTEGRATION:TOKEN`), retried like every late reply.
///
/// With the setting `hipchat_secret` (the add-on installation's shared secret), every request must carry a valid
/// HipChat Connect JWT (`HipChatJWT`) or is refused with 401; without it HipChat requests are unverified, as
/// hipchat-integration took them, and integrations that require a verified sender refuse them.
public struct HipChatAdapter: PlatformAdapter {
    public let name = "hipchat"
    public var answerDeadline: Duration
    /// Whether the reply is the HTTP answer (`/hipchat`) or always posted to the room (`/`).
    public let repliesInline: Bool
    /// The HipChat API base URL room replies go to.
    public let api: URL
    public let tokens: Tokens
    public let secrets: PlatformSecrets

    public init(
        repliesInline: Bool, api: URL, tokens: Tokens, secrets: PlatformSecrets, answerDeadline: Duration = .seconds(10)
    ) {
        self.repliesInline = repliesInline
        self.api = api
        self.tokens = tokens
        self.secrets = secrets
        self.answerDeadline = answerDeadline
    }

    /// HipChat waits for its inline answer and has no later way back but the room API: a run past the deadline
    /// answers 504 there instead of an ack.
    public var acksLateRuns: Bool { !repliesInline }

    @discardableResult
    public func verify(_ request: HTTPRequest, now: Date) throws(VerificationFailure) -> SenderProof? {
        guard let secret = secrets.value("hipchat_secret") else { return nil }
        try HipChatJWT.verify(
            headers: request.headers, signedRequest: request.queryParameter("signed_request"), secret: secret, now: now)
        return .hipchatJWT
    }

    public func decode(_ request: HTTPRequest) throws(IntegrationError) -> PlatformEvent {
        let picked: JSONPick
        do {
            picked = try JSONValue.pick(HipChatMessage.paths, from: request.body)
        } catch {
            throw IntegrationError.badRequest("body is not JSON: \(error)")
        }
        let message: HipChatMessage
        do {
            message = try HipChatMessage(picked: picked)
        } catch {
            throw IntegrationError.badRequest("not a HipChat room_message: \(error)")
        }
        guard let command = SlashCommand(message: message.message) else {
            throw IntegrationError.badRequest("message is not a /command")
        }
        var notification = IntegrationContract.Notification(
            platform: .hipchat,
            channel: .init(id: String(message.roomID), name: message.roomName),
            sender: .init(id: String(message.senderID), name: message.senderName, handle: message.mentionName),
            text: message.message, command: command.name, event: picked["event"]?.stringValue,
            headers: request.headers, hipchat: message)
        notification.setCheckedJSONBody(request.body)
        // HipChat sends no delivery id and does not retry a webhook, so there is nothing to deduplicate (a message
        // id is not one: clients and tests replay the same room_message on purpose).
        var event = PlatformEvent(notification: notification, target: .command(command.name), query: command.query)
        event.repliesInline = repliesInline
        return event
    }

    public func render(_ reply: Reply?, for event: PlatformEvent) -> HTTPResponse {
        guard let reply else { return HTTPResponse(status: .noContent) }
        return .json(.ok, bytes: HipChatAdapter.body(for: reply).serializedBytes())
    }

    public func ack(for event: PlatformEvent) -> HTTPResponse { HTTPResponse(status: .noContent) }

    /// `/` has nobody to show an error to: an unknown command is acked (and logged by the gateway).
    public func unknownTarget(for event: PlatformEvent) -> HTTPResponse {
        repliesInline
            ? .error(IntegrationError.notFound("no integration answers /\(event.target.name)")) : HTTPResponse(status: .noContent)
    }

    /// The room's API with the room token for this integration; `nil` when none is configured.
    public func lateDelivery(of reply: Reply, for event: PlatformEvent) -> OutboundMessage? {
        guard let room = event.notification.hipchat?.roomID,
            let token = tokens.token(room: String(room), integration: event.integrationName)
        else { return nil }
        return OutboundMessage(
            url: api.appendingPathComponent("v2/room/\(room)/notification"),
            headers: [("Authorization", "Bearer \(token)")], body: HipChatAdapter.body(for: reply).serializedBytes())
    }

    public func noWayBack(for event: PlatformEvent) -> String? {
        "no token configured for room \(event.notification.channel?.id ?? "?") and \(event.integrationName)"
    }

    /// The HipChat JSON for a reply: the reply's own JSON when it has one.
    public static func body(for reply: Reply) -> JSONValue {
        if let json = reply.json { return json }
        return [
            "message": .string(reply.text),
            "message_format": "text",
            "color": .string((reply.color ?? .yellow).rawValue),
            "notify": .bool(reply.notify),
        ]
    }
}
