/// What proved that a request came from who it says: the platform signature or credential the host checked
/// against a configured secret before running anything. A notification without one came from an unverified sender
/// (HipChat without `hipchat_secret`, a webhook route with no secret configured): anyone who can reach the host.
public enum SenderProof: String, Sendable, CaseIterable {
    case slackSignature = "slack_signature"
    case mattermostToken = "mattermost_token"
    case teamsHMAC = "teams_hmac"
    case hipchatJWT = "hipchat_jwt"
    case githubSignature = "github_signature"
    case gitlabToken = "gitlab_token"
    case basicAuth = "basic_auth"
}
