import HTTPServer

/// `/hooks/NAME` and routes declared by integrations: any JSON, form or text body, answered with the integration's
/// reply as JSON or text (its status and headers), or an empty 200 when it has none. Verification (GitHub, GitLab,
/// basic auth), decoding, dedupe and the deadline are the platform gateway's (`Platforms/README.md`).
public struct GenericWebhookRoute: Sendable {
    public let integrationName: String

    public init(integrationName: String) {
        self.integrationName = integrationName
    }

    /// The route for `/hooks/NAME`, when `path` is one.
    public static func match(_ path: String) -> GenericWebhookRoute? {
        let prefix = "/hooks/"
        guard path.hasPrefix(prefix) else { return nil }
        return GenericWebhookRoute(integrationName: String(path.dropFirst(prefix.count)))
    }

    public func respond(to request: HTTPRequest, context: RouteContext) async -> HTTPResponse {
        guard let integration = context.host.catalog.integration(named: integrationName) else {
            return .error(.notFound, "no integration named \(integrationName)")
        }
        let allowed = integration.routes.reduce(into: Set<HTTPMethod>([.post])) { $0.formUnion($1.methods) }
        guard allowed.contains(request.method) else { return HostApp.methodNotAllowed(allowed) }
        return await GenericWebhookRoute.run(integration, parameters: [:], request: request, context: context)
    }

    /// Hands a request for `integration`, already found and its method checked, to the platform gateway.
    static func run(
        _ integration: any Integration, parameters: [String: String], request: HTTPRequest, context: RouteContext
    ) async -> HTTPResponse {
        await context.host.platforms.handleWebhook(
            request, integration: integration, parameters: parameters, host: context.host, requestID: context.requestID)
    }
}
