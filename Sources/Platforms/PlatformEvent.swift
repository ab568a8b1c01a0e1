import IntegrationContract
/// A verified, decoded platform request: what to run and what it gets.
public struct PlatformEvent: Sendable {
    /// How the catalog finds the integration.
    public enum Target: Sendable, Equatable {
        /// A slash command or mention name, looked up among every integration's commands.
        case command(String)
        /// An integration named in the route (`/hooks/NAME`).
        case integration(String)

        /// The command or integration name.
        public var name: String {
            switch self {
            case .command(let name), .integration(let name): return name
            }
        }
    }

    public var notification: IntegrationContract.Notification
    public var target: Target
    /// What follows the command (`/deploy prod` → `prod`), or the whole text for webhooks.
    public var query: String
    /// The delivery's identity for dedupe (`X-GitHub-Delivery`, …), scoped by route; `nil` when the platform
    /// sends none.
    public var deliveryID: String?
    /// The integration the target resolved to, filled in by the gateway after the catalog lookup.
    public var integration: String?
    /// Whether the platform reads the reply from the HTTP answer. When `false` (Slack's Events API) the gateway
    /// acks at once and every reply goes through the adapter's `lateDelivery`.
    public var repliesInline: Bool

    public init(
        notification: IntegrationContract.Notification, target: Target, query: String, deliveryID: String? = nil, repliesInline: Bool = true
    ) {
        self.notification = notification
        self.target = target
        self.query = query
        self.deliveryID = deliveryID
        self.repliesInline = repliesInline
    }

    /// The integration's name once resolved, else the target's name: for settings and reply names.
    public var integrationName: String { integration ?? target.name }
}
