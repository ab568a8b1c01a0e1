import Foundation
import IntegrationContract
import Logging
import Sandbox
import Synchronization

/// A compiled plugin that runs in worker processes of its own (`PluginSupervisor`): what the catalog holds for a
/// plugin by default. A crash, a hang or a memory bomb in the plugin costs its call, never the host.
public struct IsolatedPlugin: Integration {
    public let name: String
    public let summary: String
    public let commands: [String]
    public let routes: [IntegrationRoute]
    let supervisor: PluginSupervisor

    init(info: PluginInfo, supervisor: PluginSupervisor) {
        name = info.name
        summary = info.summary
        commands = info.commands
        routes = info.routes
        self.supervisor = supervisor
    }

    public func run(_ invocation: Invocation) async throws -> Reply? { try await supervisor.run(invocation) }

    public var unavailableReason: String? { supervisor.unavailableReason }
    public var workerRestarts: Int { supervisor.crashCount }

    public func restart() { supervisor.restart() }
}

/// Loads compiled plugins (`.so`, `.dylib`) into worker processes: the file is copied (`PluginCopy`, kept for
/// restarts), a first worker loads the copy and reports its descriptor, and the plugin answers through its
/// workers. A plugin that crashes or hangs while loading is a load error for its file, logged by the catalog and
/// not retried until the file changes.
public struct IsolatedPluginLoader: IntegrationLoader {
    public let kind = "plugin"
    public let isolation: PluginIsolation
    private let logger: HostLogger?
    /// Whether the workers' confinement has been logged: once, from the first plugin loaded.
    private let confinementLogged = ConfinementLog()

    /// - Parameter logger: where the workers' confinement is reported, once: what the kernel enforced, and (as a
    ///   warning) what it could not.
    public init(isolation: PluginIsolation = PluginIsolation(), logger: HostLogger? = nil) {
        self.isolation = isolation
        self.logger = logger
    }

    public func accepts(fileName: String) -> Bool {
        fileName.hasSuffix(".so") || fileName.hasSuffix(".dylib")
    }

    public func load(file: URL) throws -> [any Integration] {
        let copy: PluginCopy
        do {
            copy = try PluginCopy(of: file.path)
        } catch {
            throw PluginLoadError(file: file.path, reason: "could not copy it for loading: \(error)")
        }
        let launch = WorkerProcess.Launch(
            executable: isolation.workerExecutable, plugin: copy.path, name: file.deletingPathExtension().lastPathComponent,
            options: isolation.workerOptions(for: nil), timeout: isolation.loadTimeout)
        switch WorkerProcess.startBlocking(launch) {
        case .success(let (worker, info)):
            logConfinement(info.confinement)
            // The loading worker had no grants (the plugin's name was not known yet): a granted plugin's calls run
            // in workers started with its grants.
            let granted = isolation.grant(for: info.name) != nil
            if granted { worker.retire() }
            let supervisor = PluginSupervisor(
                name: info.name, isolation: isolation, copy: copy, first: granted ? nil : worker)
            return [IsolatedPlugin(info: info, supervisor: supervisor)]
        case .failure(let error):
            copy.remove()
            throw PluginLoadError(file: file.path, reason: error.message)
        }
    }

    private func logConfinement(_ report: SandboxReport) {
        guard let logger, confinementLogged.first() else { return }
        logger.log(.notice, "plugin workers are confined: \(report.enforced.joined(separator: ", "))")
        if !report.unavailable.isEmpty {
            logger.log(.warning, "plugin workers: this kernel cannot enforce \(report.unavailable.joined(separator: ", "))")
        }
    }
}

/// Answers `true` once.
private final class ConfinementLog: Sendable {
    private let done = Atomic<Bool>(false)
    func first() -> Bool { !done.exchange(true, ordering: .relaxed) }
}
