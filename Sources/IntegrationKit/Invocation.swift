import IntegrationContract
import JSON

/// Everything one run gets, as hipchat-integration's `run_integration(notification, query, all_tokens, token,
/// storage, log)`. `storage` and `log` talk to the host and work only while `run` is running.
public struct Invocation {
    /// The notification, typed, whatever platform sent it. Read from the request on first use (its payload on
    /// first use of `payload`), so a plugin pays only for what it reads.
    public var notification: Notification { document.notification }
    /// What followed the slash command (`/echo hello` → `hello`), or the whole text for routes.
    public let query: String
    /// Every token given to the host on its command line.
    public var allTokens: Tokens { document.allTokens }
    /// This integration's own token for this room, if one is configured.
    public let token: String?
    /// This integration's storage namespace: JSON values, typed through `Codable`.
    public let storage: Storage
    /// The host's log, tagged with this integration and the request id.
    public let log: Logger
    /// The host's id for this request, also sent back as `X-Request-Id`.
    public let requestID: String
    /// Named parameters of the route that matched (`/deploy/<env>` → `env`).
    public var routeParameters: [String: String] {
        document.value("route_parameters")?.objectValue?.compactMapValues(\.stringValue) ?? [:]
    }
    /// The HTTP method of the request that carried the notification (`POST`, `GET` on a route that takes it).
    public let method: String
    /// The request's percent-decoded path (`/hipchat`, `/deploy/prod`).
    public let path: String

    private let document: RequestDocument

    init(request: UnsafeRawBufferPointer, host: HostAPI) throws(RequestError) {
        let document = try RequestDocument(request)
        self.document = document
        self.query = document.string("query") ?? ""
        self.token = document.string("token")
        self.requestID = document.string("request_id") ?? ""
        self.method = document.string("method") ?? "POST"
        self.path = document.string("path") ?? ""
        self.storage = Storage(host: host)
        self.log = Logger(host: host)
    }
}

/// The host sent a request this SDK cannot read (a host/SDK mismatch, never the plugin author's fault).
struct RequestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
