import HTTPServer
import HostCore
import IntegrationContract
import Logging
import Platforms

/// `GET /integrations`: what is loaded, with each integration's run counters and state (`IntegrationListing`), for
/// admins only: the caller must pass the admin commands' check (`AdminEndpoint`), else 401.
public struct IntegrationsRoute: HostRoute {
    let catalog: Catalog
    let statistics: RunStatistics
    let secrets: PlatformSecrets
    let tokens: Tokens
    let admin: AdminEndpoint
    let logger: HostLogger

    public init(
        catalog: Catalog, statistics: RunStatistics, secrets: PlatformSecrets, tokens: Tokens, admin: AdminEndpoint,
        logger: HostLogger
    ) {
        self.catalog = catalog
        self.statistics = statistics
        self.secrets = secrets
        self.tokens = tokens
        self.admin = admin
        self.logger = logger
    }

    public var path: String { "/integrations" }
    public var methods: Set<HTTPMethod> { [.get] }

    public func respond(to request: HTTPRequest, context: RouteContext) async -> HTTPResponse {
        if let refusal = admin.authorizationRefusal(request, context: context) {
            logger.log(.warning, "GET /integrations refused for \(request.peer.host): \(refusal)", tags: [("request", context.requestID)])
            var response = HTTPResponse.error(IntegrationError.unauthorized(refusal))
            response.headers.set("WWW-Authenticate", "Bearer")
            return response
        }
        let listing = IntegrationListing(catalog: catalog, secrets: secrets, tokens: tokens, statistics: statistics)
        return .json(.ok, bytes: listing.json.serializedBytes())
    }
}
