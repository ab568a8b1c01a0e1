import HTTPServer
import Platforms

/// A fixed platform endpoint (`POST /hipchat`, `/slack`, `/mattermost`, `/teams`; the methods are the adapter's):
/// every request goes through the gateway with the path's adapter.
public struct PlatformRoute: HostRoute {
    public let path: String
    let adapter: any PlatformAdapter
    let gateway: PlatformGateway

    public init(path: String, adapter: any PlatformAdapter, gateway: PlatformGateway) {
        self.path = path
        self.adapter = adapter
        self.gateway = gateway
    }

    public var methods: Set<HTTPMethod> { adapter.methods }

    public func respond(to request: HTTPRequest, context: RouteContext) async -> HTTPResponse {
        await gateway.handle(request, adapter: adapter, requestID: context.requestID, trace: context.trace)
    }
}
