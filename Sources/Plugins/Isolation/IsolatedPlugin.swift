import Foundation
import IntegrationContract

/// A compiled plugin that runs in worker processes of its own (`PluginSupervisor`): what the catalog holds for a
/// plugin by default. A crash, a hang or a memory bomb in the plugin costs its call, never the host.
public struct IsolatedPlugin: Integration {
    public let name: String
    public let summary: String
    public let commands: [String]
    public let routes: [IntegrationRoute]
    private let supervisor: PluginSupervisor

    init(info: PluginInfo, supervisor: PluginSupervisor) {
        name = info.name
        summary = info.summary
        commands = info.commands
        routes = info.routes
        self.supervisor = supervisor
    }

    public func run(_ invocation: Invocation) async throws -> Reply? { try await supervisor.run(invocation) }

    public var unavailableReason: String? { supervisor.unavailableReason }

    public func restart() { supervisor.restart() }
}

/// Loads compiled plugins (`.so`, `.dylib`) into worker processes: the file is copied (`PluginCopy`, kept for
/// restarts), a first worker loads the copy and reports its descriptor, and the plugin answers through its
/// workers. A plugin that crashes or hangs while loading is a load error for its file, logged by the catalog and
/// not retried until the file changes.
public struct IsolatedPluginLoader: IntegrationLoader {
    public let kind = "plugin"
    public let isolation: PluginIsolation

    public init(isolation: PluginIsolation = PluginIsolation()) {
        self.isolation = isolation
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
            options: isolation.workerOptions, timeout: isolation.loadTimeout)
        switch WorkerProcess.startBlocking(launch) {
        case .success(let (worker, info)):
            let supervisor = PluginSupervisor(name: info.name, isolation: isolation, copy: copy, first: worker)
            return [IsolatedPlugin(info: info, supervisor: supervisor)]
        case .failure(let error):
            copy.remove()
            throw PluginLoadError(file: file.path, reason: error.message)
        }
    }
}
