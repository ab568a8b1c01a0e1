import Foundation
import HTTPServer
import HostCore
import IntegrationContract
import JSON
import Logging
import Platforms
import Scheduling
import Synchronization

/// The running host process: its parts, the HTTP server that routes requests to them, and the background work
/// that keeps them current (the catalog watching its directory, saving the state file).
public final class HostProcess: Sendable {
    public let dependencies: HostDependencies
    private let server: HTTPServer
    /// The periodic work: the log flush and the autosave. Cancelled and awaited at shutdown.
    private let periodic = Mutex<[Task<Void, Never>]>([])
    private let savedChangeCount = Mutex(0)
    private let savedDeliveriesCount = Mutex(0)

    /// How often the state file is saved when storage changed.
    public static let autosaveInterval: Duration = .seconds(5)
    /// How often buffered log lines (access lines) are written at the latest.
    public static let logFlushInterval: Duration = .milliseconds(100)

    /// Builds the host; nothing listens until `start()`.
    public init(
        configuration: HostConfiguration, loaders: [any IntegrationLoader]? = nil, logger: HostLogger? = nil,
        platforms: PlatformGateway.Settings? = nil
    ) throws {
        dependencies = try HostDependencies(
            configuration: configuration, loaders: loaders, logger: logger, platforms: platforms)
        // One handler thread per core: integration runs share these threads with request handling (on 2 cores,
        // 2 handler threads answered /hook about 30% faster than 1).
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let serverConfiguration = HTTPServerConfiguration(
            host: configuration.bindAddress, port: configuration.port,
            eventLoopCount: max(1, min(4, cores)), handlerThreadCount: max(1, cores),
            maxConnectionsPerPeer: configuration.maxConnectionsPerPeer)
        descriptorsWanted = serverConfiguration.maxConnections + 3 * configuration.maxExec + 256
        server = HTTPServer(configuration: serverConfiguration, handler: HostRouter(dependencies: dependencies))
    }

    /// The port the server listens on (the real one when configured with 0).
    public var port: Int { server.localPort }

    /// The descriptors a fully loaded host can hold at once: every connection the server accepts, three for each
    /// program `exec` actions may run, and room for listeners, event descriptors, logs, state files and plugins.
    public let descriptorsWanted: Int

    /// Loads the state file, scans the integrations, starts listening and the background work.
    public func start() throws {
        let configuration = dependencies.configuration
        if !FileManager.default.fileExists(atPath: configuration.stateDirectory.path) {
            try FileManager.default.createDirectory(
                at: configuration.stateDirectory, withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700])
            dependencies.logger.log(.notice, "created the state directory \(configuration.stateDirectory.path) (mode 0700)")
        }
        if let stateFile = configuration.stateFile {
            try loadStateFile(stateFile)
        }
        dependencies.catalog.rescan()
        warnAboutTokens()
        try server.start()
        dependencies.logger.log(
            .notice,
            "listening on \(configuration.bindAddress):\(port) with \(dependencies.catalog.count) integrations from \(configuration.integrationsPath.path)"
        )
        if !configuration.trustedProxies.isEmpty {
            let proxies = configuration.trustedProxies.ranges.map(\.description).joined(separator: ", ")
            dependencies.logger.log(.notice, "client addresses are read from X-Forwarded-For of trusted proxies \(proxies)")
        }
        try dependencies.catalog.watch()
        let logger = dependencies.logger
        var tasks = [HostProcess.every(HostProcess.logFlushInterval) { logger.flush() }]
        if configuration.stateFile != nil {
            tasks.append(HostProcess.every(HostProcess.autosaveInterval) { [self] in saveStateFileIfChanged() })
        }
        periodic.withLock { $0 = tasks }
    }

    /// Runs `work` every `interval` on the host's clock until cancelled.
    private static func every(_ interval: Duration, _ work: @escaping @Sendable () -> Void) -> Task<Void, Never> {
        Task.detached {
            while true {
                do { try await DeadlineScheduler.shared.sleep(for: interval) } catch { return }
                work()
            }
        }
    }

    /// Rescans the integrations directory now and gives every integration a fresh start, plugins marked unavailable
    /// after crashing included (SIGHUP).
    public func reload() {
        dependencies.logger.log(.notice, "rescanning \(dependencies.configuration.integrationsPath.path)")
        dependencies.catalog.rescan()
        warnAboutTokens()
        for integration in dependencies.catalog.integrations { integration.restart() }
    }

    /// Logs the tokens that look mistyped for the integrations now loaded (`TokenWarnings`).
    private func warnAboutTokens() {
        let loaded = Set(dependencies.catalog.integrations.map(\.name))
        for warning in TokenWarnings.warnings(for: dependencies.configuration.tokens, loaded: loaded) {
            dependencies.logger.log(.warning, warning)
        }
    }

    /// Stops accepting and finishes in-flight requests, then lets runs and deliveries that outlived their requests
    /// finish (late replies, acked runs), all within `gracePeriod`; what is still running then is cancelled and
    /// awaited. Stops the periodic work, saves the state file. When it returns, nothing the host started runs.
    /// Returns whether storage is safe: saved, or nothing to save; `false` when the final save failed (a full or
    /// read-only disk), so the process can exit non-zero and a supervisor can tell.
    @discardableResult
    public func shutdown(gracePeriod: Duration = .seconds(5)) async -> Bool {
        let logger = dependencies.logger
        defer { logger.flush() }
        logger.log(.notice, "shutting down")
        let deadline = ContinuousClock.now + gracePeriod
        await server.shutdown(gracePeriod: gracePeriod)
        let tasks = periodic.withLock { tasks in
            defer { tasks.removeAll() }
            return tasks
        }
        for task in tasks { task.cancel() }
        for task in tasks { await task.value }
        await dependencies.catalog.stopWatching()
        let background = dependencies.background
        if !(await background.waitForAll(upTo: max(deadline - .now, .zero))) {
            logger.log(.warning, "\(background.count) runs or deliveries still going after \(gracePeriod); cancelling them")
            background.cancelAll()
        }
        background.close()
        if !(await background.waitForAll(upTo: HostProcess.cancelledWorkLimit)) {
            logger.log(.error, "\(background.count) runs did not stop when cancelled (a plugin call cannot be interrupted)")
        }
        guard dependencies.configuration.stateFile != nil else {
            let kept = dependencies.storage.snapshot().count
            if kept > 0 {
                logger.log(.notice, "storage of \(kept) integrations is not saved: no --state file is configured")
            }
            return true
        }
        return saveStateFileIfChanged()
    }

    /// How long cancelled runs and deliveries get to end at shutdown.
    static let cancelledWorkLimit: Duration = .seconds(2)

    private func loadStateFile(_ name: String) throws {
        let directory = StateDirectory(root: dependencies.configuration.stateDirectory)
        let url = try directory.resolve(name)
        guard FileManager.default.fileExists(atPath: url.path) else {
            dependencies.logger.log(.info, "state file \(name) does not exist yet; starting empty")
            return
        }
        dependencies.storage.replaceAll(
            with: try AdminCommands.read(name, in: directory, maxBytes: dependencies.configuration.maxLoadBytes))
        savedChangeCount.withLock { $0 = dependencies.storage.changeCount }
        dependencies.logger.log(.notice, "storage loaded from \(name)")
        do {
            try dependencies.admin.loadDeliveries(besides: name)
            savedDeliveriesCount.withLock { $0 = dependencies.deliveries.changeCount }
        } catch {
            dependencies.logger.log(
                .warning, "the delivery log \(DeliveryLog.fileName(besides: name)) is not loaded: \(error); starting it empty")
        }
    }

    /// Saves storage to the state file, and the delivery log beside it, when they changed since the last save;
    /// `false` when that failed.
    @discardableResult
    private func saveStateFileIfChanged() -> Bool {
        guard let name = dependencies.configuration.stateFile else { return true }
        let deliveriesSaved = saveDeliveriesIfChanged(besides: name)
        return saveStorageIfChanged(to: name) && deliveriesSaved
    }

    private func saveDeliveriesIfChanged(besides name: String) -> Bool {
        let deliveries = dependencies.deliveries
        let current = deliveries.changeCount
        guard savedDeliveriesCount.withLock({ $0 }) != current else { return true }
        let file = DeliveryLog.fileName(besides: name)
        do {
            let url = try StateDirectory(root: dependencies.configuration.stateDirectory).resolve(file)
            try StorageFile.writeAtomically(deliveries.encoded(), to: url)
            savedDeliveriesCount.withLock { $0 = current }
            return true
        } catch {
            dependencies.logger.log(.error, "saving the delivery log \(file) failed: \(error)")
            return false
        }
    }

    private func saveStorageIfChanged(to name: String) -> Bool {
        let current = dependencies.storage.changeCount
        guard savedChangeCount.withLock({ $0 }) != current else { return true }
        do {
            let url = try StateDirectory(root: dependencies.configuration.stateDirectory).resolve(name)
            try StorageFile.writeAtomically(StorageFile.encode(dependencies.storage.snapshot()), to: url)
            savedChangeCount.withLock { $0 = current }
            dependencies.logger.log(.info, "storage saved to \(name)")
            return true
        } catch {
            dependencies.logger.log(.error, "saving state file \(name) failed: \(error)")
            return false
        }
    }
}
