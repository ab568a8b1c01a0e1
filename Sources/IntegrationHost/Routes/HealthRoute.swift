import HTTPServer
import JSON

/// `GET /healthz`: status, integration count and uptime.
public struct HealthRoute: HostRoute {
    public init() {}
    public var path: String { "/healthz" }
    public var methods: Set<HTTPMethod> { [.get, .head] }

    public func respond(to request: HTTPRequest, context: RouteContext) async -> HTTPResponse {
        let uptime = ContinuousClock.now - context.host.startedAt
        let body: JSONValue = [
            "status": "ok",
            "integrations": .number(Double(context.host.catalog.count)),
            "uptime_seconds": .number(Double(uptime.components.seconds)),
            "version": .string(HostVersion.current),
        ]
        return .json(.ok, bytes: body.serializedBytes())
    }
}
