import Foundation
import HTTPClient
import HTTPServer
import HostCore
import IntegrationContract
import Logging
import Manifests
import Platforms
import Scheduling

/// The host's parts, built once from its configuration: what the process starts and stops, and what each route is
/// handed a piece of (no route gets the whole).
public struct HostDependencies: Sendable {
    public let configuration: HostConfiguration
    public let logger: HostLogger
    public let storage: Storage
    public let catalog: Catalog
    public let dispatcher: Dispatcher
    /// Every platform request's way: verify, decode, look up, dedupe, run, answer or deliver late.
    public let gateway: PlatformGateway
    /// `save`, `load`, `erase` on storage, confined to the state directory.
    public let admin: AdminCommands
    /// Runs and deliveries that outlive their requests; shutdown waits for them.
    public let background: BackgroundTasks
    public let startedAt: ContinuousClock.Instant
    /// The last requests of each integration, for `GET /integrations/NAME/deliveries` and `replay`.
    public let deliveries: DeliveryLog
    public let replayer: DeliveryReplayer
    /// Requests answered by route and status (`/metrics`).
    public let requests: RequestCounters
    /// What manifest `exec` actions share (`/metrics` reads the slots in use).
    public let manifests: ManifestRuntime

    /// - Parameters:
    ///   - loaders: the integration kinds; by default manifests and plugins.
    ///   - logger: by default stderr (and `--logfile`), redacting the configured secrets, buffered (the process
    ///     flushes it).
    ///   - platforms: the platform adapters, deliverer and clock; by default built from the configuration.
    public init(
        configuration: HostConfiguration, loaders: [any IntegrationLoader]? = nil, logger: HostLogger? = nil,
        platforms: PlatformGateway.Settings? = nil
    ) throws {
        let secrets = PlatformSecrets(configuration: configuration)
        let logger = try logger
            ?? HostLogger(minimumLevel: configuration.logLevel, logFile: configuration.logFile,
                secrets: configuration.secrets + secrets.redactions, format: configuration.logFormat, buffered: true)
        self.configuration = configuration
        self.logger = logger
        for name in configuration.shortSecrets {
            logger.log(
                .warning,
                "token \(name) is shorter than \(HostLogger.minimumSecretLength) characters: too short to be hidden in "
                    + "the log, so it is not; give it a longer value if it is a secret")
        }
        storage = Storage(quota: configuration.storageQuota)
        let manifests = configuration.manifestRuntime
        self.manifests = manifests
        logger.log(.notice, manifests.containment.summary)
        catalog = Catalog(
            directory: configuration.integrationsPath,
            loaders: loaders
                ?? IntegrationKinds.loaders(manifests: manifests, plugins: configuration.plugins, logger: logger),
            logger: logger)
        background = BackgroundTasks()
        let deliveries = DeliveryLog(capacity: configuration.deliveryLogSize, logger: logger)
        self.deliveries = deliveries
        dispatcher = Dispatcher(
            tokens: configuration.integrationTokens, storage: storage, logger: logger, background: background,
            preferredExecutor: { HandlerExecutor.current })
        gateway = PlatformGateway(
            settings: platforms ?? PlatformGateway.Settings(
                routes: PlatformRoutes(secrets: secrets),
                deliverer: ReplyDeliverer(client: OutboundClient(), logger: logger)),
            catalog: catalog, dispatcher: dispatcher, deadline: configuration.deadline, logger: logger,
            deliveries: deliveries)
        admin = AdminCommands(
            storage: storage, stateDirectory: StateDirectory(root: configuration.stateDirectory),
            defaultFile: configuration.stateFile, maxLoadBytes: configuration.maxLoadBytes, logger: logger,
            deliveries: deliveries)
        replayer = DeliveryReplayer(deliveries: deliveries, logger: logger)
        requests = RequestCounters(paths: HostDependencies.routePaths + [DeliveriesRoute.label])
        startedAt = .now
    }

    /// Who may run admin commands, read `GET /integrations` and see traces.
    public var adminEndpoint: AdminEndpoint {
        AdminEndpoint(commands: admin, adminToken: configuration.effectiveAdminToken, logger: logger)
    }

    /// The paths of the fixed routes (`routes()`).
    static let routePaths = ["/", "/hipchat", "/healthz", "/integrations", "/metrics"] + PlatformRoutes.paths

    /// The fixed routes: `/`, `/hipchat`, `/healthz`, `/integrations`, `/metrics` and the platform paths.
    public func routes() -> [any HostRoute] {
        let adminEndpoint = self.adminEndpoint
        func hipchat(inline: Bool) -> HipChatAdapter {
            HipChatAdapter(
                repliesInline: inline, api: configuration.hipchatAPI, tokens: configuration.tokens,
                secrets: gateway.routes.secrets, answerDeadline: configuration.deadline)
        }
        return [
            RootRoute(admin: adminEndpoint, gateway: gateway, adapter: hipchat(inline: false), replayer: replayer),
            PlatformRoute(path: "/hipchat", adapter: hipchat(inline: true), gateway: gateway),
            HealthRoute(catalog: catalog, startedAt: startedAt),
            IntegrationsRoute(
                catalog: catalog, statistics: dispatcher.statistics, secrets: gateway.routes.secrets,
                tokens: configuration.tokens, admin: adminEndpoint, logger: logger),
            MetricsRoute(
                sources: MetricsRoute.Sources(
                    requests: requests, statistics: dispatcher.statistics, catalog: catalog,
                    execSlots: manifests.execSlots, deliverer: gateway.deliverer, storage: storage,
                    deliveries: deliveries),
                admin: adminEndpoint, isPublic: configuration.metricsPublic),
        ] + PlatformRoutes.paths.compactMap { path in
            gateway.routes.adapter(for: path).map { PlatformRoute(path: path, adapter: $0, gateway: gateway) }
        }
    }
}
