import Foundation
import HTTPServer
import JSON

/// `POST /`, as hipchat-integration: a body that is an admin command (`save FILE`, `load FILE`, `erase`) is run as
/// one; a HipChat room_message gets 204 at once, the integration runs in the background, and its reply is posted to
/// the HipChat API with the room's token.
public struct RootRoute: HostRoute {
    public init() {}
    public var path: String { "/" }
    public var methods: Set<HTTPMethod> { [.post] }

    public func respond(to request: HTTPRequest, context: RouteContext) async -> HTTPResponse {
        if let command = AdminCommand(body: request.body) {
            return AdminCommands(services: context.host).respond(to: command, from: request)
        }
        let prepared: HipChatDispatch
        switch HipChatDispatch.prepare(request, context: context) {
        case .success(let dispatch):
            prepared = dispatch
        case .failure(let error) where error.status == 404:
            context.host.logger.log(.warning, error.message, tags: [("request", context.requestID)])
            return HTTPResponse(status: .noContent)
        case .failure(let error):
            return .error(HTTPStatus(error.status), error.message)
        }
        let host = context.host
        Task.detached {
            let outcome = await host.dispatcher.run(
                prepared.integration, prepared.invocation, deadline: host.configuration.deadline)
            guard case .replied(let reply?) = outcome else {
                if case .timedOut(let pending) = outcome { pending.cancel() }
                return
            }
            await HipChatNotifier(services: host).post(
                reply, roomID: prepared.roomID, token: prepared.invocation.token, log: prepared.invocation.log)
        }
        return HTTPResponse(status: .noContent)
    }
}

/// Posts replies to the HipChat API: `POST {api}/v2/room/{id}/notification` with `Authorization: Bearer <room
/// token>`.
struct HipChatNotifier {
    let services: HostServices

    func post(_ reply: Reply, roomID: Int, token: String?, log: IntegrationLogger) async {
        guard let token else {
            log.warning("no token configured for room \(roomID) and \(log.integration); reply not sent")
            return
        }
        let url = services.configuration.hipchatAPI.appendingPathComponent("v2/room/\(roomID)/notification")
        do {
            let response = try await services.outbound.postJSON(
                url, body: HipChatDispatch.body(for: reply), headers: ["Authorization": "Bearer \(token)"])
            if (200..<300).contains(response.status) {
                log.info("reply posted to room \(roomID)")
            } else {
                log.error("HipChat API answered \(response.status) for room \(roomID)")
            }
        } catch {
            log.error("posting the reply to room \(roomID) failed: \(error.localizedDescription)")
        }
    }
}
