import IntegrationContract

/// One loaded integration as the listings show it: the integration, its kind and file, and the conflicts it takes
/// part in.
public struct CatalogEntry: Sendable {
    public let integration: any Integration
    /// The loader's kind: `manifest`, `plugin`.
    public let kind: String
    /// The file's name in the integrations directory.
    public let file: String
    public let conflicts: [CatalogConflict]

    public var name: String { integration.name }
}
