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
public struct HostRouter: HTTPHandler {
    private let routes: [String: any HostRoute]
    private let webhooks: WebhookRoutes
    private let logger: HostLogger
    private let pacer: RefusalPacer
    private let trustedProxies: TrustedProxies

    public init(
        routes: [any HostRoute], webhooks: WebhookRoutes, logger: HostLogger, pacer: RefusalPacer = RefusalPacer(),
        trustedProxies: TrustedProxies = TrustedProxies()
    ) {
        self.routes = Dictionary(routes.map { ($0.path, $0) }, uniquingKeysWith: { first, _ in first })
        self.webhooks = webhooks
        self.logger = logger
        self.pacer = pacer
        self.trustedProxies = trustedProxies
    }

    /// The router of a host built from `dependencies`, with its fixed routes.
    public init(dependencies: HostDependencies) {
        self.init(
            routes: dependencies.routes(),
            webhooks: WebhookRoutes(
                catalog: dependencies.catalog, gateway: dependencies.gateway,
                defaultBodyLimit: dependencies.configuration.webhookBodyLimit),
            logger: dependencies.logger, trustedProxies: dependencies.configuration.trustedProxies)
    }

    public func handle(_ received: HTTPRequest) async throws -> HTTPResponse {
        var request = received
        let requestID = request.headers["X-Request-Id"].flatMap(RequestID.sanitized) ?? RequestID.make()
        var response: HTTPResponse
        switch clientOf(request) {
        case .address(let client, let proxy):
            request.peer = client
            response = await route(request, context: RouteContext(requestID: requestID, proxy: proxy))
        case .malformed(let reason):
            logger.log(.warning, reason, tags: [("request", requestID)], throttle: "x-forwarded-for")
            response = .error(.badRequest, reason)
        }
        response.headers.set("X-Request-Id", requestID)
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

    /// The request's client: its TCP peer, or with trusted proxies configured, what a trusted peer's
    /// `X-Forwarded-For` says (without them the header is never read).
    private func clientOf(_ request: HTTPRequest) -> TrustedProxies.Client {
        guard !trustedProxies.isEmpty else { return .address(request.peer, proxy: nil) }
        return trustedProxies.client(of: request.peer, forwardedFor: request.headers.values(for: "X-Forwarded-For"))
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

    private func route(_ request: HTTPRequest, context: RouteContext) async -> HTTPResponse {
        if request.path == "*" { return .allowing(HTTPMethod.known) }
        if let route = routes[request.path] {
            guard route.methods.contains(request.method) else { return .refusing(request.method, allowed: route.methods) }
            return await route.respond(to: request, context: context)
        }
        return await webhooks.respond(to: request, context: context)
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
