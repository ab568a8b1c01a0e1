import Foundation
import IntegrationContract
import Logging
import Synchronization

/// Where platform secrets and settings come from: the host's tokens (given on the command line) first, then the
/// environment. Nothing here is read from manifests, so a manifest can be shared without leaking a secret.
///
/// - A global setting `slack_signing_secret` is the token `slack_signing_secret:VALUE`, else the environment
///   variable `SLACK_SIGNING_SECRET`.
/// - A per-integration setting for integration `deploy` is the token `deploy.github_secret:VALUE`, else the
///   environment variable `DEPLOY_GITHUB_SECRET` (`-` in the name becomes `_`). Where both a per-integration and a
///   global value exist, the per-integration one wins.
public struct PlatformSecrets: Sendable {
    public let tokens: Tokens
    public let environment: [String: String]

    public init(tokens: Tokens, environment: [String: String] = [:]) {
        self.tokens = tokens
        self.environment = environment
    }

    /// The global setting `name`, or `nil` (empty values count as unset). Settings are looked up once each: the
    /// tokens and the environment snapshot never change, and webhooks ask on every request.
    public func value(_ name: String) -> String? {
        cached(SettingKey(name: name, integration: nil)) {
            nonEmpty(tokens.global[name]) ?? nonEmpty(environment[PlatformSecrets.environmentName(name)])
        }
    }

    /// The setting `name` for one integration only.
    public func value(_ name: String, integration: String) -> String? {
        cached(SettingKey(name: name, integration: integration)) {
            nonEmpty(tokens.global["\(integration).\(name)"])
                ?? nonEmpty(environment[PlatformSecrets.environmentName("\(integration)_\(name)")])
        }
    }

    private func cached(_ key: SettingKey, _ lookUp: () -> String?) -> String? {
        if let known = cache.values.withLock({ $0[key] }) { return known }
        let found = lookUp()
        cache.values.withLock { $0[key] = .some(found) }
        return found
    }

    /// The per-integration setting, else the global one.
    public func value(_ name: String, integrationOrGlobal integration: String) -> String? {
        value(name, integration: integration) ?? value(name)
    }

    /// Every value that must never reach a log: the tokens that are secrets (`isSecret`), and environment values
    /// of secret settings (names ending in `SECRET`, `TOKEN`, `CREDENTIALS` or `WEBHOOK_URL`). Give these to
    /// `HostLogger(secrets:)`.
    public var redactions: [String] {
        let fromEnvironment = environment.filter { name, value in
            !value.isEmpty && PlatformSecrets.secretSuffixes.contains { name.uppercased().hasSuffix($0.uppercased()) }
        }.map(\.value)
        return PlatformSecrets.secretTokenValues(tokens) + fromEnvironment
    }

    /// The platform settings the adapters read, with or without an `INTEGRATION.` prefix: host configuration, not
    /// tokens for integrations, so they are not among the tokens an integration receives.
    public static let settingNames: Set<String> = [
        "hipchat_secret", "slack_signing_secret", "slack_bot_token", "slack_api_url", "slack_ack_text", "mattermost_token",
        "mattermost_bot_token", "mattermost_url", "mattermost_username", "mattermost_icon_url", "mattermost_ack_text",
        "teams_secret", "teams_webhook_url", "teams_webhook_kind", "teams_ack_text", "github_secret", "gitlab_secret", "webhooks_credentials",
    ]

    /// Setting names whose values are secrets; the others (`*_ack_text`, `*_username`, `*_icon_url`,
    /// `mattermost_url`, `slack_api_url`, `teams_webhook_kind`) are plain settings and appear in logs as they are.
    static let secretSuffixes = ["_secret", "_token", "_credentials", "_webhook_url"]

    /// Environment variables that name a secret platform setting (`SLACK_SIGNING_SECRET`, `DEPLOY_GITHUB_SECRET`)
    /// and are set but empty. An empty secret is no secret: it would leave its route open, so the host refuses to
    /// start with one.
    public static func emptySecrets(in environment: [String: String]) -> [String] {
        let secretSettings = settingNames.filter { name in secretSuffixes.contains { name.hasSuffix($0) } }
            .map(environmentName)
        return environment.filter { name, value in
            value.isEmpty && secretSettings.contains { name == $0 || name.hasSuffix("_" + $0) }
        }.keys.sorted()
    }

    /// Whether the token called `name` (global, possibly `INTEGRATION.setting`) is a platform setting.
    public static func isSetting(_ name: String) -> Bool {
        settingNames.contains(String(name.split(separator: ".").last ?? ""))
    }

    /// Whether the token called `name` holds a secret: every token does, but the plain platform settings.
    public static func isSecret(_ name: String) -> Bool {
        !isSetting(name) || secretSuffixes.contains { name.hasSuffix($0) }
    }

    /// The values of `tokens` that are secrets: room tokens, and global tokens but the plain settings.
    public static func secretTokenValues(_ tokens: Tokens) -> [String] {
        tokens.global.filter { isSecret($0.key) }.map(\.value) + tokens.rooms.map(\.value)
    }

    /// `deploy-bot.github_secret` → `DEPLOY_BOT_GITHUB_SECRET`.
    static func environmentName(_ name: String) -> String {
        String(name.uppercased().map { $0 == "-" || $0 == "." ? "_" : $0 })
    }

    private struct SettingKey: Hashable {
        let name: String
        /// `nil` for a global setting.
        let integration: String?
    }

    /// Settings already looked up, per integration.
    private final class Cache: Sendable {
        let values = Mutex<[SettingKey: String?]>([:])
    }

    private let cache = Cache()

    private func nonEmpty(_ value: String?) -> String? {
        guard let value, !value.isEmpty else { return nil }
        return value
    }
}
