import HTTPServer
import JSON

/// `/hooks/NAME` and routes declared by integrations: any JSON, form or text body, answered with the integration's
/// reply as JSON or text (its status and headers), or an empty 200 when it has none.
public struct GenericWebhookRoute: Sendable {
    public let integrationName: String
    public let parameters: [String: String]

    public init(integrationName: String, parameters: [String: String] = [:]) {
        self.integrationName = integrationName
        self.parameters = parameters
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
        let allowed = integration.routes.isEmpty ? [.post] : integration.routes.reduce(into: Set<HTTPMethod>([.post])) {
            $0.formUnion($1.methods)
        }
        guard allowed.contains(request.method) else { return HostApp.methodNotAllowed(allowed) }
        let payload = GenericWebhookRoute.decodePayload(request)
        let text = payload["text"]?.stringValue ?? (payload.stringValue ?? "")
        let notification = Notification(
            platform: .generic, text: text, event: request.headers["X-Event"], headers: request.headers,
            rawBody: request.body, payload: payload)
        let invocation = context.host.dispatcher.invocation(
            for: integration, notification: notification, query: text, request: request,
            requestID: context.requestID, routeParameters: parameters)
        return await context.host.dispatcher.respondInline(
            integration, invocation, deadline: context.host.configuration.deadline, render: GenericWebhookRoute.render)
    }

    /// JSON bodies parse to their document, form bodies to an object of strings, anything else to a string.
    static func decodePayload(_ request: HTTPRequest) -> JSONValue {
        guard !request.body.isEmpty else { return .null }
        let contentType = request.headers["Content-Type"]?.lowercased() ?? ""
        if contentType.hasPrefix("application/x-www-form-urlencoded") {
            var fields: [String: JSONValue] = [:]
            for (name, value) in request.formFields where fields[name] == nil { fields[name] = .string(value) }
            return .object(fields)
        }
        if contentType.contains("json") || request.body.first == UInt8(ascii: "{") || request.body.first == UInt8(ascii: "[") {
            if let json = try? request.jsonBody() { return json }
        }
        return .string(String(decoding: request.body, as: UTF8.self))
    }

    /// The reply's JSON, or its text as text/plain, with its status and headers; an empty 200 for no reply.
    static func render(_ reply: Reply?) -> HTTPResponse {
        guard let reply else { return HTTPResponse(status: .ok) }
        var response: HTTPResponse
        if let json = reply.json {
            response = .json(HTTPStatus(reply.status ?? 200), bytes: json.serializedBytes())
        } else {
            response = HTTPResponse(
                status: HTTPStatus(reply.status ?? 200), contentType: "text/plain; charset=utf-8", body: reply.text)
        }
        for header in reply.headers { response.headers.set(header.name, header.value) }
        return response
    }
}
