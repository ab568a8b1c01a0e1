import HTTPClient
import HTTPServer
import HostCore
import JSON
import Platforms

/// `GET /healthz`: status, integration count, uptime, and the integrations that cannot run now (`degraded`: a
/// plugin that crashed too often), while the host itself keeps answering 200.
public struct HealthRoute: HostRoute {
    let catalog: Catalog
    let startedAt: ContinuousClock.Instant

    public init(catalog: Catalog, startedAt: ContinuousClock.Instant) {
        self.catalog = catalog
        self.startedAt = startedAt
    }

    public var path: String { "/healthz" }
    public var methods: Set<HTTPMethod> { [.get, .head] }

    public func respond(to request: HTTPRequest, context: RouteContext) async -> HTTPResponse {
        let uptime = ContinuousClock.now - startedAt
        let degraded = catalog.integrations.compactMap { integration -> JSONValue? in
            integration.unavailableReason.map { ["integration": .string(integration.name), "reason": .string($0)] }
        }
        let body: JSONValue = [
            "status": "ok",
            "integrations": .number(Double(catalog.count)),
            "uptime_seconds": .number(Double(uptime.components.seconds)),
            "version": .string(HostVersion.current),
            "degraded": .array(degraded),
        ]
        return .json(.ok, bytes: body.serializedBytes())
    }
}
