import HTTPServer
import HostCore
import IntegrationContract
import JSON

/// `GET /integrations/NAME/deliveries`: the delivery log of integration NAME, newest first, redacted, for admins
/// only (the admin commands' check, as `GET /integrations`).
public struct DeliveriesRoute: Sendable {
    let deliveries: DeliveryLog
    let admin: AdminEndpoint

    public init(deliveries: DeliveryLog, admin: AdminEndpoint) {
        self.deliveries = deliveries
        self.admin = admin
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
        guard request.method == .get else { return .refusing(request.method, allowed: [.get]) }
        if let refusal = admin.readRefusal(request, context: context) { return refusal }
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
