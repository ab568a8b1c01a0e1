import HTTPServer
import HostCore
import IntegrationContract
import JSON
import Logging
import Scheduling

/// The host's HTTP handler: gives every request an id, routes it, and turns anything unexpected into a JSON
/// error. Routing order: fixed host routes (`/`, `/hipchat`, `/healthz`, platform routes), then `/hooks/NAME`,
/// then routes declared by integrations.
public struct HostRouter: HTTPHandler {
    private let routes: [String: any HostRoute]
    private let webhooks: WebhookRoutes
    private let logger: HostLogger
    private let pacer: RefusalPacer

    public init(routes: [any HostRoute], webhooks: WebhookRoutes, logger: HostLogger, pacer: RefusalPacer = RefusalPacer()) {
        self.routes = Dictionary(routes.map { ($0.path, $0) }, uniquingKeysWith: { first, _ in first })
        self.webhooks = webhooks
        self.logger = logger
        self.pacer = pacer
    }

    /// The router of a host built from `dependencies`, with its fixed routes.
    public init(dependencies: HostDependencies) {
        self.init(
            routes: dependencies.routes(),
            webhooks: WebhookRoutes(catalog: dependencies.catalog, gateway: dependencies.gateway),
            logger: dependencies.logger)
    }

    public func handle(_ request: HTTPRequest) async throws -> HTTPResponse {
        let started = ContinuousClock.now
        let requestID = request.headers["X-Request-Id"].flatMap(RequestID.sanitized) ?? RequestID.make()
        let context = RouteContext(requestID: requestID)
        var response = await route(request, context: context)
        response.headers.set("X-Request-Id", requestID)
        logAccess(request, response.status.code, since: started, requestID: requestID)
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

    /// The access line: method, path (the query is left out: it can carry tokens), status, time taken, peer. Lines
    /// for error statuses are throttled per status, so a flood of refusals does not become a flood of writes.
    private func logAccess(_ request: HTTPRequest, _ status: Int, since started: ContinuousClock.Instant, requestID: String) {
        guard logger.isEnabled(.info) else { return }
        let elapsed = ContinuousClock.now - started
        let microseconds = elapsed.components.seconds * 1_000_000 + elapsed.components.attoseconds / 1_000_000_000_000
        let milliseconds = "\(microseconds / 1000).\(String(microseconds % 1000 + 1000).dropFirst())"
        logger.log(
            .info, "\(request.method) \(request.path) -> \(status) in \(milliseconds) ms",
            tags: [("request", requestID), ("peer", request.peer.host)],
            throttle: status >= 400 ? "status \(status)" : nil)
    }

    private func route(_ request: HTTPRequest, context: RouteContext) async -> HTTPResponse {
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
