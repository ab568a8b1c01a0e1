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

    /// Every value that must never reach a log: all tokens, and environment values of the settings above
    /// (names ending in `SECRET`, `TOKEN`, `CREDENTIALS` or `WEBHOOK_URL`). Give these to `HostLogger(secrets:)`.
    public var redactions: [String] {
        let suffixes = ["SECRET", "TOKEN", "CREDENTIALS", "WEBHOOK_URL"]
        let fromEnvironment = environment.filter { name, value in
            !value.isEmpty && suffixes.contains { name.uppercased().hasSuffix($0) }
        }.map(\.value)
        return tokens.allValues + fromEnvironment
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
