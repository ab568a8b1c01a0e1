import HTTPServer
import JSON

/// The host's HTTP handler: gives every request an id, routes it, and turns anything unexpected into a JSON
/// error. Routing order: fixed host routes (`/`, `/hipchat`, `/healthz`, platform routes), then `/hooks/NAME`,
/// then routes declared by integrations.
public struct HostApp: HTTPHandler {
    public let services: HostServices
    private let routes: [String: any HostRoute]

    public init(services: HostServices, routes: [any HostRoute]) {
        self.services = services
        self.routes = Dictionary(routes.map { ($0.path, $0) }, uniquingKeysWith: { first, _ in first })
    }

    public func handle(_ request: HTTPRequest) async throws -> HTTPResponse {
        let requestID = request.headers["X-Request-Id"].flatMap(RequestID.sanitized) ?? RequestID.make()
        let context = RouteContext(host: services, requestID: requestID)
        var response = await route(request, context: context)
        response.headers.set("X-Request-Id", requestID)
        if response.status.code >= 400 {
            services.logger.log(
                .info, "\(request.method) \(request.path) -> \(response.status.code)", tags: [("request", requestID)])
        }
        return response
    }

    private func route(_ request: HTTPRequest, context: RouteContext) async -> HTTPResponse {
        if let route = routes[request.path] {
            guard route.methods.contains(request.method) else { return HostApp.methodNotAllowed(route.methods) }
            return await route.respond(to: request, context: context)
        }
        if let hook = GenericWebhookRoute.match(request.path) {
            return await hook.respond(to: request, context: context)
        }
        switch services.catalog.route(path: request.path, method: request.method) {
        case .matched(let integration, let parameters):
            return await GenericWebhookRoute.run(integration, parameters: parameters, request: request, context: context)
        case .wrongMethod(let allowed):
            return HostApp.methodNotAllowed(allowed)
        case .none:
            return .error(.notFound, "no route for \(request.path)")
        }
    }

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
