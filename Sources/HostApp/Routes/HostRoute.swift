import HTTPServer
import IntegrationContract

/// A fixed endpoint of the host (`/healthz`, `/hipchat`, `/slack`, …). The router hands it every request for its
/// path; it answers with a response. Each route holds the parts it uses.
public protocol HostRoute: Sendable {
    /// The exact path, e.g. `/hipchat`.
    var path: String { get }
    /// The methods it takes; others get 405.
    var methods: Set<HTTPMethod> { get }
    func respond(to request: HTTPRequest, context: RouteContext) async -> HTTPResponse
}

/// What the router knows of a request beyond the request itself.
public struct RouteContext: Sendable {
    /// The request's id: the caller's own `X-Request-Id` when well-formed, else a new one.
    public let requestID: String
    /// The trusted proxy (`--trusted-proxy`) the request came through, when its client address (`request.peer`)
    /// was read from `X-Forwarded-For`; nil for a request taken from its TCP peer as it is.
    public let proxy: PeerAddress?
    /// Where the run records its trace, when an admin asked for one (`X-Integration-Trace: 1`) or the log is at
    /// debug; `nil` otherwise.
    public let trace: TraceRecorder?

    public init(requestID: String, proxy: PeerAddress? = nil, trace: TraceRecorder? = nil) {
        self.requestID = requestID
        self.proxy = proxy
        self.trace = trace
    }
}
