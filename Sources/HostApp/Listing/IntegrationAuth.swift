import IntegrationContract
import Manifests
import Platforms

/// What a request must prove to run an integration, beyond reaching the host, in words for the listings.
///
/// - `rules`: a manifest's top-level `rules`, which every request must pass (see
///   `ManifestIntegration.authRequirement`): `verified sender`, `token HEADER`, `signature HEADER`, `ip allow list`,
///   combined with `and` and `|`.
/// - `hook`: the secrets configured for its webhooks (`/hooks/NAME` and its own routes), of which a request must
///   pass one: `signature X-Hub-Signature-256` (github_secret), `token X-Gitlab-Token` (gitlab_secret),
///   `basic auth` (webhooks_credentials).
///
/// The chat endpoints' own secrets (`slack_signing_secret`, …) apply to every command alike and are not repeated.
public struct IntegrationAuth: Sendable, Equatable {
    public let rules: String?
    public let hook: String?

    public init(_ integration: any Integration, secrets: PlatformSecrets) {
        rules = (integration as? ManifestIntegration)?.authRequirement
        let schemes = [
            ("github_secret", "signature X-Hub-Signature-256"), ("gitlab_secret", "token X-Gitlab-Token"),
            ("webhooks_credentials", "basic auth"),
        ].compactMap { setting, words in secrets.value(setting, integrationOrGlobal: integration.name) == nil ? nil : words }
        hook = schemes.isEmpty ? nil : schemes.joined(separator: " | ")
    }

    /// Whether any request must prove something: the rules ask for it, or a hook secret is configured.
    public var isRequired: Bool { rules != nil || hook != nil }

    /// One line: `none`, the rules, `hook: …`, or both separated by `; `.
    public var summary: String {
        let parts = [rules, hook.map { "hook: \($0)" }].compactMap { $0 }
        return parts.isEmpty ? "none" : parts.joined(separator: "; ")
    }
}
