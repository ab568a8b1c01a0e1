import HTTPServer
import HostCore
import IntegrationContract

/// `/hooks/NAME` and routes declared by integrations: any JSON, form or text body, answered with the integration's
/// reply as JSON or text (its status and headers), or an empty 200 when it has none. Verification (GitHub, GitLab,
/// basic auth), decoding, dedupe and the deadline are the platform gateway's (`Platforms/README.md`).
public struct WebhookRoutes: Sendable {
    let catalog: Catalog
    let gateway: PlatformGateway

    public init(catalog: Catalog, gateway: PlatformGateway) {
        self.catalog = catalog
        self.gateway = gateway
    }

    /// Answers a request no fixed route took: `/hooks/NAME`, else an integration's own route, else 404.
    public func respond(to request: HTTPRequest, context: RouteContext) async -> HTTPResponse {
        let prefix = "/hooks/"
        if request.path.hasPrefix(prefix) {
            let name = String(request.path.dropFirst(prefix.count))
            guard let integration = catalog.integration(named: name) else {
                return .error(IntegrationError.notFound("no integration named \(name)"))
            }
            let allowed = integration.routes.reduce(into: Set<HTTPMethod>([.post])) { $0.formUnion($1.methods) }
            guard allowed.contains(request.method) else { return .methodNotAllowed(allowed) }
            return await gateway.handleWebhook(
                request, integration: integration, requestID: context.requestID, trace: context.trace)
        }
        switch catalog.route(path: request.path, method: request.method) {
        case .matched(let integration, let parameters):
            return await gateway.handleWebhook(
                request, integration: integration, parameters: parameters, requestID: context.requestID,
                trace: context.trace)
        case .wrongMethod(let allowed):
            return .methodNotAllowed(allowed)
        case .none:
            return .error(IntegrationError.notFound("no route for \(request.path)"))
        }
    }
}
