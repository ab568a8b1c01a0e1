import HTTPServer
import JSON

/// `POST /hipchat`: a HipChat room_message notification, answered inline as HipChat JSON
/// (`{"message", "message_format": "text", "color", "notify"}`), or 204 when the integration has no reply.
public struct HipChatRoute: HostRoute {
    public init() {}
    public var path: String { "/hipchat" }
    public var methods: Set<HTTPMethod> { [.post] }

    public func respond(to request: HTTPRequest, context: RouteContext) async -> HTTPResponse {
        let prepared: HipChatDispatch
        switch HipChatDispatch.prepare(request, context: context) {
        case .success(let dispatch): prepared = dispatch
        case .failure(let error): return .error(HTTPStatus(error.status), error.message)
        }
        return await context.host.dispatcher.respondInline(
            prepared.integration, prepared.invocation, deadline: context.host.configuration.deadline,
            render: HipChatDispatch.render)
    }
}

/// A HipChat notification decoded and matched to an integration, ready to run.
struct HipChatDispatch {
    let integration: any Integration
    let invocation: Invocation
    let roomID: Int

    /// Decodes the body as a room_message and finds the integration for its `/command`.
    static func prepare(_ request: HTTPRequest, context: RouteContext) -> Result<HipChatDispatch, IntegrationError> {
        let picked: JSONPick
        do {
            picked = try JSONValue.pick(HipChatMessage.paths, from: request.body)
        } catch {
            return .failure(IntegrationError(status: 400, "body is not JSON: \(error)"))
        }
        let message: HipChatMessage
        do {
            message = try HipChatMessage(picked: picked)
        } catch {
            return .failure(IntegrationError(status: 400, "not a HipChat room_message: \(error)"))
        }
        guard let command = SlashCommand(message: message.message) else {
            return .failure(IntegrationError(status: 400, "message is not a /command"))
        }
        guard let integration = context.host.catalog.integration(forCommand: command.name) else {
            return .failure(IntegrationError(status: 404, "no integration answers /\(command.name)"))
        }
        var notification = Notification(
            platform: .hipchat,
            channel: .init(id: String(message.roomID), name: message.roomName),
            sender: .init(id: String(message.senderID), name: message.senderName, handle: message.mentionName),
            text: message.message, command: command.name, event: picked["event"]?.stringValue,
            headers: request.headers, hipchat: message)
        notification.setCheckedJSONBody(request.body)
        let invocation = context.host.dispatcher.invocation(
            for: integration, notification: notification, query: command.query, request: request,
            requestID: context.requestID)
        return .success(HipChatDispatch(integration: integration, invocation: invocation, roomID: message.roomID))
    }

    /// The HipChat JSON for a reply: the reply's own JSON when it has one.
    static func body(for reply: Reply) -> JSONValue {
        if let json = reply.json { return json }
        return [
            "message": .string(reply.text),
            "message_format": "text",
            "color": .string(reply.color ?? "yellow"),
            "notify": .bool(reply.notify),
        ]
    }

    static func render(_ reply: Reply?) -> HTTPResponse {
        guard let reply else { return HTTPResponse(status: .noContent) }
        return .json(.ok, bytes: body(for: reply).serializedBytes())
    }
}
