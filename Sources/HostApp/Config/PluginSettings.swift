import Plugins

/// How the host runs compiled plugins (`--plugins`, `--plugin-workers`, `--plugin-memory`, `--plugin-cpu`,
/// `--plugin-nice`, `--plugin-grant`).
public struct PluginSettings: Sendable {
    public enum Mode: String, Sendable {
        /// Each plugin in worker processes of its own: a crash, hang or memory bomb costs one answer.
        case isolated
        /// In the host's own process, for trusted plugins: no process hop, but a crash takes the host with it.
        case inProcess = "in-process"
    }

    public var mode: Mode
    public var isolation: PluginIsolation

    public init(mode: Mode = .isolated, isolation: PluginIsolation = PluginIsolation()) {
        self.mode = mode
        self.isolation = isolation
    }
}
