import Foundation
import HTTPServer
import JSON
import Synchronization

/// A running integration host: storage, catalog, dispatcher and the HTTP server, plus the background work that
/// keeps them current (rescanning the directory, saving the state file).
public final class HostServer: Sendable {
    public let services: HostServices
    private let server: HTTPServer
    private let background = Mutex<[Task<Void, Never>]>([])
    private let savedChangeCount = Mutex(0)

    /// How often the directory is polled for changes, and the state file saved when storage changed.
    public static let pollInterval: Duration = .seconds(1)
    public static let autosaveInterval: Duration = .seconds(5)

    /// Builds the host; nothing listens until `start()`.
    public init(
        configuration: HostConfiguration, loaders: [any IntegrationLoader]? = nil,
        routes: [any HostRoute] = HostServer.defaultRoutes(), logger: HostLogger? = nil,
        platforms: PlatformGateway? = nil
    ) throws {
        let logger = try logger
            ?? HostLogger(minimumLevel: configuration.logLevel, logFile: configuration.logFile,
                secrets: configuration.secrets + PlatformSecrets(configuration: configuration).redactions)
        let storage = Storage()
        let catalog = Catalog(
            directory: configuration.integrationsPath,
            loaders: loaders ?? IntegrationKinds.loaders(maxExec: configuration.maxExec), logger: logger)
        let dispatcher = Dispatcher(tokens: configuration.tokens, storage: storage, logger: logger)
        services = HostServices(
            configuration: configuration, catalog: catalog, dispatcher: dispatcher, storage: storage, logger: logger,
            outbound: OutboundClient(), platforms: platforms)
        // One handler thread per core: integration runs share these threads with request handling (on 2 cores,
        // 2 handler threads answered /hook about 30% faster than 1).
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let serverConfiguration = HTTPServerConfiguration(
            host: configuration.bindAddress, port: configuration.port,
            eventLoopCount: max(1, min(4, cores)), handlerThreadCount: max(1, cores))
        descriptorsWanted = serverConfiguration.maxConnections + 3 * configuration.maxExec + 256
        server = HTTPServer(configuration: serverConfiguration, handler: HostApp(services: services, routes: routes))
    }

    /// The fixed routes every host serves.
    public static func defaultRoutes() -> [any HostRoute] {
        [RootRoute(), HipChatRoute(), HealthRoute()] + PlatformRoute.all
    }

    /// The port the server listens on (the real one when configured with 0).
    public var port: Int { server.localPort }

    /// The descriptors a fully loaded host can hold at once: every connection the server accepts, three for each
    /// program `exec` actions may run, and room for listeners, event descriptors, logs, state files and plugins.
    public let descriptorsWanted: Int

    /// Loads the state file, scans the integrations, starts listening and the background work.
    public func start() throws {
        let configuration = services.configuration
        if let stateFile = configuration.stateFile {
            try loadStateFile(stateFile)
        }
        services.catalog.rescan()
        try server.start()
        services.logger.log(
            .notice,
            "listening on \(configuration.bindAddress):\(port) with \(services.catalog.count) integrations from \(configuration.integrationsPath.path)"
        )
        let catalog = services.catalog
        var tasks = [
            Task.detached {
                while !Task.isCancelled {
                    try? await Task.sleep(for: HostServer.pollInterval)
                    catalog.rescan()
                }
            }
        ]
        if configuration.stateFile != nil {
            tasks.append(
                Task.detached { [self] in
                    while !Task.isCancelled {
                        try? await Task.sleep(for: HostServer.autosaveInterval)
                        saveStateFileIfChanged()
                    }
                })
        }
        background.withLock { $0 = tasks }
    }

    /// Rescans the integrations directory now (SIGHUP).
    public func reload() {
        services.logger.log(.notice, "rescanning \(services.configuration.integrationsPath.path)")
        services.catalog.rescan()
    }

    /// Stops accepting, finishes in-flight requests up to `gracePeriod`, stops background work, saves the state file.
    public func shutdown(gracePeriod: Duration = .seconds(5)) async {
        services.logger.log(.notice, "shutting down")
        await server.shutdown(gracePeriod: gracePeriod)
        background.withLock { tasks in
            for task in tasks { task.cancel() }
            tasks.removeAll()
        }
        saveStateFileIfChanged()
    }

    private func loadStateFile(_ name: String) throws {
        let directory = StateDirectory(root: services.configuration.stateDirectory)
        let url = try directory.resolve(name)
        guard FileManager.default.fileExists(atPath: url.path) else {
            services.logger.log(.info, "state file \(name) does not exist yet; starting empty")
            return
        }
        services.storage.replaceAll(with: try AdminCommands.read(name, in: directory))
        savedChangeCount.withLock { $0 = services.storage.changeCount }
        services.logger.log(.notice, "storage loaded from \(name)")
    }

    private func saveStateFileIfChanged() {
        guard let name = services.configuration.stateFile else { return }
        let current = services.storage.changeCount
        guard savedChangeCount.withLock({ $0 }) != current else { return }
        do {
            let url = try StateDirectory(root: services.configuration.stateDirectory).resolve(name)
            try StorageFile.writeAtomically(StorageFile.encode(services.storage.snapshot()), to: url)
            savedChangeCount.withLock { $0 = current }
            services.logger.log(.debug, "storage saved to \(name)")
        } catch {
            services.logger.log(.error, "saving state file \(name) failed: \(error)")
        }
    }
}
