import HTTPServer
import HostCore
import IntegrationContract
import Platforms

/// `POST /`, as hipchat-integration: a body that is an admin command (`save FILE`, `load FILE`, `erase`) is run as
/// one, and `replay REQUEST_ID` replays a recorded delivery; a body that looks like a mistyped one (`AdminCommandTypo`) answers 400 naming the commands; anything else
/// is a HipChat room_message, acked with 204 at once while the integration runs and its reply is posted to the
/// HipChat API with the room's token.
public struct RootRoute: HostRoute {
    let admin: AdminEndpoint
    let gateway: PlatformGateway
    let adapter: HipChatAdapter
    /// Runs `replay REQUEST_ID`.
    let replayer: DeliveryReplayer?

    public init(admin: AdminEndpoint, gateway: PlatformGateway, adapter: HipChatAdapter, replayer: DeliveryReplayer? = nil) {
        self.admin = admin
        self.gateway = gateway
        self.adapter = adapter
        self.replayer = replayer
    }

    public var path: String { "/" }
    public var methods: Set<HTTPMethod> { [.post] }

    public func respond(to request: HTTPRequest, context: RouteContext) async -> HTTPResponse {
        if let command = AdminCommand(body: request.body) {
            return admin.respond(to: command, from: request, context: context)
        }
        if let replayer, let command = ReplayCommand(body: request.body) {
            if let refusal = admin.refusal(request, context: context) { return refusal }
            guard let id = command.id else {
                return .error(IntegrationError.badRequest("replay needs one REQUEST_ID: replay 0123456789abcdef"))
            }
            return await replayer.replay(id)
        }
        if AdminCommandTypo.matches(request.body) {
            return .error(IntegrationError.badRequest(AdminCommandTypo.message))
        }
        return await gateway.handle(request, adapter: adapter, requestID: context.requestID, trace: context.trace)
    }
}
