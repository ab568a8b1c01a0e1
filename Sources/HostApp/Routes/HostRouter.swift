import HTTPServer
import HostCore
import IntegrationContract
import JSON
import Logging
import Scheduling

/// The host's HTTP handler: gives every request an id, routes it, and turns anything unexpected into a JSON
/// error. Routing order: fixed host routes (`/`, `/hipchat`, `/healthz`, platform routes), then `/hooks/NAME`,
/// then routes declared by integrations.
///
/// A manifest run's trace (`ManifestTrace`) is recorded when the caller passes the admin check and sends
/// `X-Integration-Trace: 1` (then it comes back in the `X-Integration-Trace` response header, `TraceHeader`), and
/// when the log is at debug (then each entry is logged). Anyone else's request is answered as if it had no such
/// header: nothing is recorded.
public struct HostRouter: HTTPHandler {
    private let routes: [String: any HostRoute]
    private let webhooks: WebhookRoutes
    private let logger: HostLogger
    private let pacer: RefusalPacer
    /// Who may see traces; `nil`: nobody (only the debug log has them).
    private let admin: AdminEndpoint?

    public init(
        routes: [any HostRoute], webhooks: WebhookRoutes, logger: HostLogger, pacer: RefusalPacer = RefusalPacer(),
        admin: AdminEndpoint? = nil
    ) {
        self.routes = Dictionary(routes.map { ($0.path, $0) }, uniquingKeysWith: { first, _ in first })
        self.webhooks = webhooks
        self.logger = logger
        self.pacer = pacer
        self.admin = admin
    }

    /// The router of a host built from `dependencies`, with its fixed routes.
    public init(dependencies: HostDependencies) {
        self.init(
            routes: dependencies.routes(),
            webhooks: WebhookRoutes(catalog: dependencies.catalog, gateway: dependencies.gateway),
            logger: dependencies.logger, admin: dependencies.adminEndpoint)
    }

    public func handle(_ request: HTTPRequest) async throws -> HTTPResponse {
        let requestID = request.headers["X-Request-Id"].flatMap(RequestID.sanitized) ?? RequestID.make()
        let showTrace = TraceHeader.requested(request.headers[TraceHeader.name])
            && admin.map { $0.authorizationRefusal(request) == nil } == true
        let logTrace = logger.isEnabled(.debug)
        let trace = showTrace || logTrace ? TraceRecorder() : nil
        var response = await route(request, context: RouteContext(requestID: requestID, trace: trace))
        response.headers.set("X-Request-Id", requestID)
        if let lines = trace?.recorded.lines, !lines.isEmpty {
            if logTrace {
                for line in lines { logger.log(.debug, "trace \(line)", tags: [("request", requestID)]) }
            }
            if showTrace { response.headers.set(TraceHeader.name, TraceHeader.value(lines.map(logger.redacted))) }
        }
        if response.status.code >= 400 {
            logger.log(
                .info, "\(request.method) \(request.path) -> \(response.status.code)", tags: [("request", requestID)],
                throttle: "status \(response.status.code)")
        }
        if response.status.code == 503, let retryAfter = response.headers["Retry-After"].flatMap({ Int($0) }),
            let hold = pacer.hold(for: request.peer, retryAfter: retryAfter)
        {
            logger.log(
                .warning, "\(request.peer.host) keeps coming back before Retry-After; its 503s are held \(hold)",
                tags: [("request", requestID)], throttle: "pacing")
            try? await DeadlineScheduler.shared.sleep(for: hold)
        }
        return response
    }

    func route(_ request: HTTPRequest, context: RouteContext) async -> HTTPResponse {
        if let route = routes[request.path] {
            guard route.methods.contains(request.method) else { return HTTPResponse.methodNotAllowed(route.methods) }
            return await route.respond(to: request, context: context)
        }
        return await webhooks.respond(to: request, context: context)
    }
}

extension HTTPResponse {
    /// 405 with the `Allow` header listing `allowed`.
    static func methodNotAllowed(_ allowed: Set<HTTPMethod>) -> HTTPResponse {
        var response = HTTPResponse.error(.methodNotAllowed, "method not allowed")
        response.headers.set("Allow", allowed.map(\.rawValue).sorted().joined(separator: ", "))
        return response
    }
}

extension RequestID {
    /// A caller's own `X-Request-Id`, kept when it is 1–64 characters of `[A-Za-z0-9._-]`.
    static func sanitized(_ value: String) -> String? {
        guard (1...64).contains(value.utf8.count) else { return nil }
        let allowed = value.utf8.allSatisfy { IntegrationName.isNameByte($0, allowingDot: true) }
        return allowed ? value : nil
    }
}
