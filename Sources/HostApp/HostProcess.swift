import Foundation
import HTTPServer
import HostCore
import IntegrationContract
import JSON
import Logging
import Platforms
import Synchronization

/// The running host process: its parts, the HTTP server that routes requests to them, and the background work
/// that keeps them current (rescanning the directory, saving the state file).
public final class HostProcess: Sendable {
    public let dependencies: HostDependencies
    private let server: HTTPServer
    private let background = Mutex<[Task<Void, Never>]>([])
    private let savedChangeCount = Mutex(0)

    /// How often the directory is polled for changes, and the state file saved when storage changed.
    public static let pollInterval: Duration = .seconds(1)
    public static let autosaveInterval: Duration = .seconds(5)

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
            eventLoopCount: max(1, min(4, cores)), handlerThreadCount: max(1, cores))
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
        if let stateFile = configuration.stateFile {
            try loadStateFile(stateFile)
        }
        dependencies.catalog.rescan()
        try server.start()
        dependencies.logger.log(
            .notice,
            "listening on \(configuration.bindAddress):\(port) with \(dependencies.catalog.count) integrations from \(configuration.integrationsPath.path)"
        )
        let catalog = dependencies.catalog
        var tasks = [
            Task.detached {
                while !Task.isCancelled {
                    try? await Task.sleep(for: HostProcess.pollInterval)
                    catalog.rescan()
                }
            }
        ]
        if configuration.stateFile != nil {
            tasks.append(
                Task.detached { [self] in
                    while !Task.isCancelled {
                        try? await Task.sleep(for: HostProcess.autosaveInterval)
                        saveStateFileIfChanged()
                    }
                })
        }
        background.withLock { $0 = tasks }
    }

    /// Rescans the integrations directory now (SIGHUP).
    public func reload() {
        dependencies.logger.log(.notice, "rescanning \(dependencies.configuration.integrationsPath.path)")
        dependencies.catalog.rescan()
    }

    /// Stops accepting, finishes in-flight requests up to `gracePeriod`, stops background work, saves the state file.
    public func shutdown(gracePeriod: Duration = .seconds(5)) async {
        dependencies.logger.log(.notice, "shutting down")
        await server.shutdown(gracePeriod: gracePeriod)
        background.withLock { tasks in
            for task in tasks { task.cancel() }
            tasks.removeAll()
        }
        saveStateFileIfChanged()
    }

    private func loadStateFile(_ name: String) throws {
        let directory = StateDirectory(root: dependencies.configuration.stateDirectory)
        let url = try directory.resolve(name)
        guard FileManager.default.fileExists(atPath: url.path) else {
            dependencies.logger.log(.info, "state file \(name) does not exist yet; starting empty")
            return
        }
        dependencies.storage.replaceAll(with: try AdminCommands.read(name, in: directory))
        savedChangeCount.withLock { $0 = dependencies.storage.changeCount }
        dependencies.logger.log(.notice, "storage loaded from \(name)")
    }

    private func saveStateFileIfChanged() {
        guard let name = dependencies.configuration.stateFile else { return }
        let current = dependencies.storage.changeCount
        guard savedChangeCount.withLock({ $0 }) != current else { return }
        do {
            let url = try StateDirectory(root: dependencies.configuration.stateDirectory).resolve(name)
            try StorageFile.writeAtomically(StorageFile.encode(dependencies.storage.snapshot()), to: url)
            savedChangeCount.withLock { $0 = current }
            dependencies.logger.log(.debug, "storage saved to \(name)")
        } catch {
            dependencies.logger.log(.error, "saving state file \(name) failed: \(error)")
        }
    }
}
