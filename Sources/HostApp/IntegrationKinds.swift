import IntegrationContract
import Logging
import Manifests
import Plugins

/// The integration kinds the host loads from its integrations directory, in order of precedence.
public enum IntegrationKinds {
    /// One loader per kind; manifests may run up to `maxExec` programs at once between them, and plugins run as
    /// `plugins` says (isolated in worker processes by default).
    public static func loaders(
        maxExec: Int = ExecSlots.defaultLimit, plugins: PluginSettings = PluginSettings(), logger: HostLogger? = nil
    ) -> [any IntegrationLoader] {
        let pluginLoader: any IntegrationLoader =
            switch plugins.mode {
            case .isolated: IsolatedPluginLoader(isolation: plugins.isolation, logger: logger)
            case .inProcess: PluginLoader()
            }
        return [ManifestLoader(execSlots: ExecSlots(limit: maxExec)), pluginLoader]
    }
}
