
/// The platform adapters, built from the host's secrets: the fixed routes `POST /slack`, `/mattermost` and
/// `/teams`, and the webhook adapter behind `/hooks/NAME` and integrations' own routes.
public struct PlatformRoutes: Sendable {
    public let slack: SlackAdapter
    public let mattermost: MattermostAdapter
    public let teams: TeamsAdapter
    public let hooks: WebhookAdapter
    /// What the adapters were built from; the HipChat routes read theirs from it too.
    public let secrets: PlatformSecrets

    public init(secrets: PlatformSecrets) {
        self.secrets = secrets
        self.slack = SlackAdapter(secrets: secrets)
        self.mattermost = MattermostAdapter(secrets: secrets)
        self.teams = TeamsAdapter(secrets: secrets)
        self.hooks = WebhookAdapter(secrets: secrets)
    }

    /// The fixed routes' paths.
    public static let paths = ["/slack", "/mattermost", "/teams"]

    /// The adapter of a fixed route, or `nil` when `path` is not one.
    public func adapter(for path: String) -> (any PlatformAdapter)? {
        switch path {
        case "/slack": return slack
        case "/mattermost": return mattermost
        case "/teams": return teams
        default: return nil
        }
    }
}
