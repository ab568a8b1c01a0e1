import IntegrationContract
import Logging
import Manifests
import Plugins

/// The integration kinds the host loads from its integrations directory, in order of precedence.
public enum IntegrationKinds {
    /// One loader per kind; manifests share `manifests` (exec slots and containment, the regex pool), and plugins
    /// run as `plugins` says (isolated in worker processes by default).
    public static func loaders(
        manifests: ManifestRuntime = ManifestRuntime(), plugins: PluginSettings = PluginSettings(),
        logger: HostLogger? = nil
    ) -> [any IntegrationLoader] {
        let pluginLoader: any IntegrationLoader =
            switch plugins.mode {
            case .isolated: IsolatedPluginLoader(isolation: plugins.isolation, logger: logger)
            case .inProcess: PluginLoader()
            }
        return [ManifestLoader(runtime: manifests), pluginLoader]
    }
}
