import Foundation
import HTTPServer
import HostCore
import IntegrationContract
import Logging
import Manifests
import Platforms

/// How the host runs: everything the command line sets.
public struct HostConfiguration: Sendable {
    public var port: Int
    public var bindAddress: String
    public var integrationsPath: URL
    public var tokens: Tokens
    public var logFile: String?
    /// Where admin `save`/`load` files live; names are confined to it.
    public var stateDirectory: URL
    /// A state file inside `stateDirectory`, loaded at start, saved on change and at shutdown.
    public var stateFile: String?
    public var adminToken: String?
    /// The HipChat API base URL replies on `POST /` go to.
    public var hipchatAPI: URL
    /// How long an inline invocation may run before it gets a 504.
    public var deadline: Duration
    /// How many programs manifest `exec` actions may run at once (`--max-exec`).
    public var maxExec: Int
    /// How exec programs are kept from outliving their runs (`--exec-containment`); `nil`: namespaces where the
    /// system allows them, else process groups.
    public var execContainment: ExecContainment?
    /// The threads manifest regexes are matched on (`--regex-threads`).
    public var regexThreads: Int
    /// Connections one client address may hold (`--max-connections-per-peer`); 0 for no cap.
    public var maxConnectionsPerPeer: Int
    /// The reverse proxies whose `X-Forwarded-For` names a request's client (`--trusted-proxy`); none by default.
    public var trustedProxies: TrustedProxies
    /// The largest request body webhook routes take, in bytes, unless an integration sets its own (`--max-body`);
    /// chat and host routes keep the server's 1 MiB.
    public var webhookBodyLimit: Int
    /// How compiled plugins run: isolated in worker processes (the default) or in process.
    public var plugins: PluginSettings
    /// The largest storage file an admin `load` (or the `--state` file at start) may read (`--max-load`).
    public var maxLoadBytes: Int
    /// How much each integration may store (`--storage-keys`, `--storage-mib`).
    public var storageQuota: StorageQuota
    public var logLevel: LogLevel
    /// Text lines or JSON lines (`LOG_FORMAT`).
    public var logFormat: LogFormat = .text
    /// Deliveries the delivery log keeps per integration (`--delivery-log`); 0 keeps none.
    public var deliveryLogSize = DeliveryLog.defaultCapacity
    /// Whether `GET /metrics` answers callers without the admin token (`--metrics-public`).
    public var metricsPublic = false

    public init(
        port: Int, bindAddress: String = "0.0.0.0", integrationsPath: URL, tokens: Tokens = Tokens(),
        logFile: String? = nil, stateDirectory: URL = HostConfiguration.defaultStateDirectory,
        stateFile: String? = nil, adminToken: String? = nil,
        hipchatAPI: URL = URL(string: "https://api.hipchat.com")!, deadline: Duration = .seconds(10),
        maxExec: Int = ExecSlots.defaultLimit, execContainment: ExecContainment? = nil,
        regexThreads: Int = RegexPool.defaultThreads,
        maxConnectionsPerPeer: Int = HTTPServerConfiguration.defaultMaxConnectionsPerPeer,
        trustedProxies: TrustedProxies = TrustedProxies(),
        webhookBodyLimit: Int = WebhookRoutes.standardBodyLimit,
        plugins: PluginSettings = PluginSettings(),
        maxLoadBytes: Int = AdminCommands.defaultMaxLoadBytes, storageQuota: StorageQuota = .standard,
        logLevel: LogLevel = .info
    ) {
        self.port = port
        self.bindAddress = bindAddress
        self.integrationsPath = integrationsPath
        self.tokens = tokens
        self.logFile = logFile
        self.stateDirectory = stateDirectory
        self.stateFile = stateFile
        self.adminToken = adminToken
        self.hipchatAPI = hipchatAPI
        self.deadline = deadline
        self.maxExec = maxExec
        self.execContainment = execContainment
        self.regexThreads = regexThreads
        self.maxConnectionsPerPeer = maxConnectionsPerPeer
        self.trustedProxies = trustedProxies
        self.webhookBodyLimit = webhookBodyLimit
        self.plugins = plugins
        self.maxLoadBytes = maxLoadBytes
        self.storageQuota = storageQuota
        self.logLevel = logLevel
    }

    /// `./state`: not the working directory, so `save` can never overwrite an integration or the host's own files.
    /// Created (mode 0700) at start when missing.
    public static var defaultStateDirectory: URL {
        URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("state")
    }

    /// What the host's manifests share. A host with the default regex threads uses the process's shared pool.
    public var manifestRuntime: ManifestRuntime {
        ManifestRuntime(
            execSlots: ExecSlots(limit: maxExec), containment: execContainment ?? .detected,
            regexPool: regexThreads == RegexPool.defaultThreads ? .shared : RegexPool(threads: regexThreads))
    }

    /// The admin token: `--admin-token`, else a global token named `admin`.
    public var effectiveAdminToken: String? { adminToken ?? tokens.global["admin"] }

    /// Every secret value the logs must never show: the admin token, and the tokens that are secrets (all but
    /// plain platform settings such as `slack_ack_text`). See `HostLogger.minimumSecretLength` for short ones.
    public var secrets: [String] { PlatformSecrets.secretTokenValues(tokens) + (adminToken.map { [$0] } ?? []) }

    /// What is too short to be a secret the log can hide (`HostLogger.minimumSecretLength`): names of secret tokens
    /// with short values, and the admin token if it is short. The host warns about each at start.
    public var shortSecrets: [String] {
        let short = { (value: String) in value.utf8.count < HostLogger.minimumSecretLength }
        var names = tokens.global.filter { PlatformSecrets.isSecret($0.key) && short($0.value) }.keys.sorted()
        names += tokens.rooms.filter { short($0.value) }.map { "\($0.room):\($0.integration)" }
        if let adminToken, short(adminToken) { names.append("the admin token") }
        return names
    }

    /// The tokens integrations receive as "all tokens": the integration tokens the admin configured, without the
    /// admin token and the platform settings, which are the host's.
    public var integrationTokens: Tokens {
        tokens.removingGlobals { $0 == "admin" || PlatformSecrets.isSetting($0) }
    }
}

extension PlatformSecrets {
    /// The host's settings: its tokens, and the process environment.
    init(configuration: HostConfiguration) {
        self.init(tokens: configuration.tokens, environment: ProcessInfo.processInfo.environment)
    }
}
