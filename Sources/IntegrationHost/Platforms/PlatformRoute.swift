import HTTPServer

/// A fixed platform endpoint (`POST /slack`, `/mattermost`, `/teams`) in the host's router, answered by the
/// host's `PlatformGateway` through the path's adapter.
public struct PlatformRoute: HostRoute {
    public let path: String
    public var methods: Set<HTTPMethod> { [.post] }

    public init(path: String) { self.path = path }

    /// One route per platform path.
    public static var all: [PlatformRoute] { PlatformRoutes.paths.map(PlatformRoute.init(path:)) }

    public func respond(to request: HTTPRequest, context: RouteContext) async -> HTTPResponse {
        let gateway = context.host.platforms
        guard let adapter = gateway.routes.adapter(for: path) else { return .error(.notFound, "no route for \(path)") }
        return await gateway.handle(request, adapter: adapter, host: context.host, requestID: context.requestID)
    }
}
