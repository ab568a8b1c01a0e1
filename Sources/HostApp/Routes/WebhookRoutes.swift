import HTTPServer
import HostCore
import IntegrationContract

/// `/hooks/NAME` and routes declared by integrations: any JSON, form or text body, answered with the integration's
/// reply as JSON or text (its status and headers), or an empty 200 when it has none. Verification (GitHub, GitLab,
/// basic auth), decoding, dedupe and the deadline are the platform gateway's (`Platforms/README.md`).
public struct WebhookRoutes: Sendable {
    let catalog: Catalog
    let gateway: PlatformGateway
    /// The largest body an integration's webhook routes take unless it sets its own (`--max-body`).
    let defaultBodyLimit: Int

    public init(catalog: Catalog, gateway: PlatformGateway, defaultBodyLimit: Int = WebhookRoutes.standardBodyLimit) {
        self.catalog = catalog
        self.gateway = gateway
        self.defaultBodyLimit = defaultBodyLimit
    }

    /// `--max-body`'s default: 1 MiB, the server's limit for every other route.
    public static let standardBodyLimit = 1 << 20

    /// The body limit of the request `head` names: its integration's own (`limits.body_mib`), else the default for
    /// webhook routes; `nil` (the server's small default) when no loaded integration answers it, so a request that
    /// gets a 404 is never read at length. Runs on an event-loop thread: only loaded integrations are looked up,
    /// the directory is never rescanned.
    func bodyLimit(for head: HTTPRequestHead) -> Int? {
        let prefix = "/hooks/"
        var integration: (any Integration)?
        if head.path.hasPrefix(prefix) {
            integration = catalog.loadedIntegration(named: String(head.path.dropFirst(prefix.count)))
        }
        if integration == nil, case .matched(let found, _) = catalog.route(path: head.path, method: head.method) {
            integration = found
        }
        guard let integration else { return nil }
        return integration.bodyLimit ?? defaultBodyLimit
    }

    /// Answers a request no fixed route took: `/hooks/NAME` of a loaded integration NAME, else an integration's
    /// own route (which may live under `/hooks/` too: `/hooks/sendgrid/inbound`), else 404.
    public func respond(to request: HTTPRequest, context: RouteContext) async -> HTTPResponse {
        let prefix = "/hooks/"
        var hookName: String?
        if request.path.hasPrefix(prefix) {
            let name = String(request.path.dropFirst(prefix.count))
            if let integration = catalog.integration(named: name) {
                let allowed = integration.hookMethods
                guard allowed.contains(request.method) else { return .refusing(request.method, allowed: allowed) }
                return await gateway.handleWebhook(
                    request, integration: integration, requestID: context.requestID, trace: context.trace)
            }
            hookName = name
        }
        switch catalog.route(path: request.path, method: request.method) {
        case .matched(let integration, let parameters):
            return await gateway.handleWebhook(
                request, integration: integration, parameters: parameters, requestID: context.requestID,
                trace: context.trace)
        case .wrongMethod(let allowed):
            return .refusing(request.method, allowed: allowed)
        case .none:
            if let hookName, IntegrationName.isValid(hookName) {
                return .error(IntegrationError.notFound("no integration named \(hookName)"))
            }
            return .error(IntegrationError.notFound("no route for \(request.path)"))
        }
    }
}
