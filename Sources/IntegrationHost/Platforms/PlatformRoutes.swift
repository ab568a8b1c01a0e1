import HTTPServer

/// The table the host's router consults: which adapter answers a path. `POST /slack`, `/mattermost`, `/teams`
/// and `/hooks/NAME`.
public struct PlatformRoutes: Sendable {
    public let slack: SlackAdapter
    public let mattermost: MattermostAdapter
    public let teams: TeamsAdapter
    public let hooks: WebhookAdapter

    public init(secrets: PlatformSecrets) {
        self.slack = SlackAdapter(secrets: secrets)
        self.mattermost = MattermostAdapter(secrets: secrets)
        self.teams = TeamsAdapter(secrets: secrets)
        self.hooks = WebhookAdapter(secrets: secrets)
    }

    /// The adapter for `path`, or `nil` when the path is not a platform route.
    public func adapter(for path: String) -> (any PlatformAdapter)? {
        switch path {
        case "/slack": return slack
        case "/mattermost": return mattermost
        case "/teams": return teams
        default: return WebhookAdapter.integrationName(path: path) != nil ? hooks : nil
        }
    }
}
