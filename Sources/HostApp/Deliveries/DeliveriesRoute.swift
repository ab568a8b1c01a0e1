import HTTPServer
import HostCore
import IntegrationContract
import JSON
import Logging

/// `GET /integrations/NAME/deliveries`: the delivery log of integration NAME, newest first, redacted, for admins
/// only (the admin commands' check, as `GET /integrations`).
public struct DeliveriesRoute: Sendable {
    let deliveries: DeliveryLog
    let admin: AdminEndpoint
    let logger: HostLogger

    public init(deliveries: DeliveryLog, admin: AdminEndpoint, logger: HostLogger) {
        self.deliveries = deliveries
        self.admin = admin
        self.logger = logger
    }

    /// Its label in the request counters.
    public static let label = "/integrations/<name>/deliveries"

    /// The integration name `path` asks for, when it has this route's shape.
    static func integration(in path: String) -> String? {
        let prefix = "/integrations/", suffix = "/deliveries"
        guard path.hasPrefix(prefix), path.hasSuffix(suffix), path.utf8.count > prefix.utf8.count + suffix.utf8.count
        else { return nil }
        return String(path.dropFirst(prefix.count).dropLast(suffix.count))
    }

    func respond(to request: HTTPRequest, integration name: String, context: RouteContext) -> HTTPResponse {
        guard request.method == .get else { return .methodNotAllowed([.get]) }
        if let refusal = admin.authorizationRefusal(request) {
            logger.log(
                .warning, "GET \(request.path) refused for \(request.peer.host): \(refusal)",
                tags: [("request", context.requestID)], throttle: "deliveries refused")
            var response = HTTPResponse.error(IntegrationError.unauthorized(refusal))
            response.headers.set("WWW-Authenticate", "Bearer")
            return response
        }
        guard IntegrationName.isValid(name) else {
            return .error(IntegrationError.badRequest("not an integration name"))
        }
        let records = deliveries.list(name)
        let body: JSONValue = [
            "integration": .string(name), "capacity": .number(Double(deliveries.capacity)),
            "deliveries": .array(records.map(\.json)),
        ]
        return .json(.ok, bytes: body.serializedBytes())
    }
}
