import HTTPServer

/// A fixed endpoint of the host (`/healthz`, `/hipchat`, `/slack`, …). The router hands it every request for its
/// path; it answers with a response.
public protocol HostRoute: Sendable {
    /// The exact path, e.g. `/hipchat`.
    var path: String { get }
    /// The methods it takes; others get 405.
    var methods: Set<HTTPMethod> { get }
    func respond(to request: HTTPRequest, context: RouteContext) async -> HTTPResponse
}

/// What a route needs to do its job: the host's parts and this request's id.
public struct RouteContext: Sendable {
    public let host: HostServices
    public let requestID: String
}
