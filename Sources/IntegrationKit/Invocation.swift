import IntegrationContract
import JSON

/// Everything one run gets, as hipchat-integration's `run_integration(notification, query, all_tokens, token,
/// storage, log)`. `storage` and `log` talk to the host and work only while `run` is running.
public struct Invocation {
    /// The notification, typed, whatever platform sent it.
    public let notification: Notification
    /// What followed the slash command (`/echo hello` → `hello`), or the whole text for routes.
    public let query: String
    /// Every token given to the host on its command line.
    public let allTokens: Tokens
    /// This integration's own token for this room, if one is configured.
    public let token: String?
    /// This integration's storage namespace: JSON values, typed through `Codable`.
    public let storage: Storage
    /// The host's log, tagged with this integration and the request id.
    public let log: Logger
    /// The host's id for this request, also sent back as `X-Request-Id`.
    public let requestID: String
    /// Named parameters of the route that matched (`/deploy/<env>` → `env`).
    public let routeParameters: [String: String]
    /// The HTTP method of the request that carried the notification (`POST`, `GET` on a route that takes it).
    public let method: String
    /// The request's percent-decoded path (`/hipchat`, `/deploy/prod`).
    public let path: String

    init(request: JSONValue, host: HostAPI) throws(RequestError) {
        guard case .object(let members) = request else { throw RequestError("the request is not a JSON object") }
        guard let notification = members["notification"] else { throw RequestError("the request has no notification") }
        do {
            self.notification = try Notification(json: notification)
        } catch {
            throw RequestError(error.description)
        }
        self.query = members["query"]?.stringValue ?? ""
        self.allTokens = Tokens(json: members["all_tokens"] ?? .null)
        self.token = members["token"]?.stringValue
        self.requestID = members["request_id"]?.stringValue ?? ""
        self.routeParameters = members["route_parameters"]?.objectValue?.compactMapValues(\.stringValue) ?? [:]
        self.method = members["method"]?.stringValue ?? "POST"
        self.path = members["path"]?.stringValue ?? ""
        self.storage = Storage(host: host)
        self.log = Logger(host: host)
    }
}

/// The host sent a request this SDK cannot read (a host/SDK mismatch, never the plugin author's fault).
struct RequestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
