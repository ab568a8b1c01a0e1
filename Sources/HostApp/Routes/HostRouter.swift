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
/// A request from a trusted proxy (`--trusted-proxy`) is routed with its client address from `X-Forwarded-For` as
/// its `peer`: what manifest `ip` rules, the admin loopback rule, refusal pacing and the log see.
///
/// A manifest run's trace (`ManifestTrace`) is recorded when the caller passes the admin check and sends
/// `X-Integration-Trace: 1` (then it comes back in the `X-Integration-Trace` response header, `TraceHeader`), and
/// when the log is at debug (then each entry is logged). Anyone else's request is answered as if it had no such
/// header: nothing is recorded.
public struct HostRouter: HTTPHandler {
    /// Each fixed route, with the index of its label in `requests`.
    private let routes: [String: (route: any HostRoute, label: Int)]
    private let webhooks: WebhookRoutes
    private let deliveries: DeliveriesRoute?
    private let logger: HostLogger
    private let pacer: RefusalPacer
    private let trustedProxies: TrustedProxies
    /// Who may see traces; `nil`: nobody (only the debug log has them).
    private let admin: AdminEndpoint?
    /// Requests answered, by route and status (`/metrics`).
    private let requests: RequestCounters
    private let hooksLabel: Int
    private let otherLabel: Int
    private let deliveriesLabel: Int

    public init(
        routes: [any HostRoute], webhooks: WebhookRoutes, deliveries: DeliveriesRoute? = nil, logger: HostLogger,
        pacer: RefusalPacer = RefusalPacer(), requests: RequestCounters? = nil,
        trustedProxies: TrustedProxies = TrustedProxies(), admin: AdminEndpoint? = nil
    ) {
        let requests = requests ?? RequestCounters(paths: routes.map(\.path) + [DeliveriesRoute.label])
        self.routes = Dictionary(
            routes.map { ($0.path, ($0, requests.routeIndex(of: $0.path))) }, uniquingKeysWith: { first, _ in first })
        self.webhooks = webhooks
        self.deliveries = deliveries
        self.logger = logger
        self.pacer = pacer
        self.trustedProxies = trustedProxies
        self.admin = admin
        self.requests = requests
        hooksLabel = requests.hooksIndex
        otherLabel = requests.otherIndex
        deliveriesLabel = requests.routeIndex(of: DeliveriesRoute.label)
    }

    /// The router of a host built from `dependencies`, with its fixed routes; replays go through it.
    public init(dependencies: HostDependencies) {
        self.init(
            routes: dependencies.routes(),
            webhooks: WebhookRoutes(
                catalog: dependencies.catalog, gateway: dependencies.gateway,
                defaultBodyLimit: dependencies.configuration.webhookBodyLimit),
            deliveries: DeliveriesRoute(deliveries: dependencies.deliveries, admin: dependencies.adminEndpoint),
            logger: dependencies.logger, requests: dependencies.requests,
            trustedProxies: dependencies.configuration.trustedProxies, admin: dependencies.adminEndpoint)
        dependencies.replayer.attach(self)
    }

    public func handle(_ received: HTTPRequest) async throws -> HTTPResponse {
        let started = ContinuousClock.now
        var request = received
        let requestID = request.headers["X-Request-Id"].flatMap(RequestID.sanitized) ?? RequestID.make()
        var response: HTTPResponse
        let label: Int
        var trace: RequestedTrace?
        switch clientOf(request) {
        case .address(let client, let proxy):
            request.peer = client
            trace = requestedTrace(request, context: RouteContext(requestID: requestID, proxy: proxy))
            let context = RouteContext(requestID: requestID, proxy: proxy, trace: trace?.recorder)
            (response, label) = await routed(request, context: context)
        case .malformed(let reason):
            logger.log(.warning, reason, tags: [("request", requestID)], throttle: "x-forwarded-for")
            (response, label) = (.error(.badRequest, reason), otherLabel)
        }
        requests.record(route: label, status: response.status.code)
        response.headers.set("X-Request-Id", requestID)
        if let trace { report(trace, in: &response, requestID: requestID) }
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

    /// The request's client: its TCP peer, or with trusted proxies configured, what a trusted peer's
    /// `X-Forwarded-For` says (without them the header is never read).
    private func clientOf(_ request: HTTPRequest) -> TrustedProxies.Client {
        guard !trustedProxies.isEmpty else { return .address(request.peer, proxy: nil) }
        return trustedProxies.client(of: request.peer, forwardedFor: request.headers.values(for: "X-Forwarded-For"))
    }

    /// A run's trace being recorded, and whether it goes back to the caller.
    private struct RequestedTrace {
        let recorder: TraceRecorder
        let shown: Bool
    }

    /// A recorder when an admin asked for the trace (`X-Integration-Trace: 1`, checked only when sent) or the log
    /// is at debug; `nil` otherwise, and then nothing is recorded.
    private func requestedTrace(_ request: HTTPRequest, context: RouteContext) -> RequestedTrace? {
        let shown = TraceHeader.requested(request.headers[TraceHeader.name])
            && admin.map { $0.authorizationRefusal(request, context: context) == nil } == true
        guard shown || logger.isEnabled(.debug) else { return nil }
        return RequestedTrace(recorder: TraceRecorder(), shown: shown)
    }

    /// Logs the trace's entries at debug and, for an admin who asked, puts them in the response header.
    private func report(_ trace: RequestedTrace, in response: inout HTTPResponse, requestID: String) {
        let lines = trace.recorder.recorded.lines
        guard !lines.isEmpty else { return }
        if logger.isEnabled(.debug) {
            for line in lines { logger.log(.debug, "trace \(line)", tags: [("request", requestID)]) }
        }
        if trace.shown { response.headers.set(TraceHeader.name, TraceHeader.value(lines.map(logger.redacted))) }
    }

    /// Chat and host routes keep the server's small default; webhook routes take their integration's limit.
    public func bodyLimit(for head: HTTPRequestHead) -> Int? {
        routes[head.path] == nil ? webhooks.bodyLimit(for: head) : nil
    }

    /// The server's own refusals (a malformed request, a body too large or too slow) carry an `X-Request-Id` too:
    /// the caller's, when its head was read and it sent a well-formed one, else a new one.
    public func serverAnswerHeaders(for head: HTTPRequestHead?) -> HTTPHeaders {
        let requestID = head?.headers["X-Request-Id"].flatMap(RequestID.sanitized) ?? RequestID.make()
        return ["X-Request-Id": requestID]
    }

    /// The access line: method, path (the query is left out: it can carry tokens), status, time taken, peer. Lines
    /// for error statuses are throttled per status, so a flood of refusals does not become a flood of writes.
    private func logAccess(_ request: HTTPRequest, _ status: Int, since started: ContinuousClock.Instant, requestID: String) {
        guard logger.isEnabled(.info) else { return }
        let elapsed = ContinuousClock.now - started
        let microseconds = elapsed.components.seconds * 1_000_000 + elapsed.components.attoseconds / 1_000_000_000_000
        let milliseconds = "\(microseconds / 1000).\(String(microseconds % 1000 + 1000).dropFirst())"
        logger.log(
            .info, "\(request.method.rawValue) \(request.path) -> \(status) in \(milliseconds) ms",
            tags: [("request", requestID), ("peer", request.peer.host)],
            throttle: status >= 400 ? "status \(status)" : nil)
    }

    /// Routes `request` as `handle` does, without the access line, the counters, the trace header and the pacing
    /// (a replay, a trial run).
    func route(_ request: HTTPRequest, context: RouteContext) async -> HTTPResponse {
        await routed(request, context: context).response
    }

    /// The answer, and the label of the route that gave it.
    private func routed(_ request: HTTPRequest, context: RouteContext) async -> (response: HTTPResponse, label: Int) {
        if request.path == "*" { return (.allowing(HTTPMethod.known), otherLabel) }
        if let (route, label) = routes[request.path] {
            guard route.methods.contains(request.method) else {
                return (.refusing(request.method, allowed: route.methods), label)
            }
            return (await route.respond(to: request, context: context), label)
        }
        if let deliveries, let name = DeliveriesRoute.integration(in: request.path) {
            return (deliveries.respond(to: request, integration: name, context: context), deliveriesLabel)
        }
        let label = request.path.hasPrefix("/hooks/") ? hooksLabel : otherLabel
        return (await webhooks.respond(to: request, context: context), label)
    }
}

extension HTTPResponse {
    /// The answer to a method a path does not take: `OPTIONS` is answered 200 with `Allow` (RFC 9110 §9.3.7),
    /// anything else 405 with the `Allow` header listing `allowed`.
    static func refusing(_ method: HTTPMethod, allowed: Set<HTTPMethod>) -> HTTPResponse {
        if method == .options { return .allowing(allowed) }
        var response = HTTPResponse.error(.methodNotAllowed, "method not allowed")
        response.headers.set("Allow", allowed.map(\.rawValue).sorted().joined(separator: ", "))
        return response
    }

    /// 200 to `OPTIONS`, with `Allow` listing `allowed` and `OPTIONS` itself, and no content.
    static func allowing(_ allowed: Set<HTTPMethod>) -> HTTPResponse {
        var response = HTTPResponse(status: .ok)
        response.headers.set("Allow", allowed.union([.options]).map(\.rawValue).sorted().joined(separator: ", "))
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
