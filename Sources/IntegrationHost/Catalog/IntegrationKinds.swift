/// The integration kinds the host loads from its integrations directory, in order of precedence.
public enum IntegrationKinds {
    /// One loader per kind.
    public static func loaders() -> [any IntegrationLoader] {
        [ManifestLoader(), PluginLoader()]
    }
}
