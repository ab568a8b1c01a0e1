import IntegrationContract
import Manifests
import Plugins

/// The integration kinds the host loads from its integrations directory, in order of precedence.
public enum IntegrationKinds {
    /// One loader per kind; manifests may run up to `maxExec` programs at once between them.
    public static func loaders(maxExec: Int = ExecSlots.defaultLimit) -> [any IntegrationLoader] {
        [ManifestLoader(execSlots: ExecSlots(limit: maxExec)), PluginLoader()]
    }
}
