import Foundation
import IntegrationContract

/// The manifest kind: every `*.json` file of the integrations directory is one integration, except JSON Schema
/// files (`*.schema.json`) and hidden files.
public struct ManifestLoader: IntegrationLoader {
    public let kind = "manifest"

    /// The cap every manifest this loader loads shares for its `exec` actions.
    public let execSlots: ExecSlots

    public init(execSlots: ExecSlots = ExecSlots()) {
        self.execSlots = execSlots
    }

    public func accepts(fileName: String) -> Bool {
        fileName.hasSuffix(".json") && !fileName.hasSuffix(".schema.json") && !fileName.hasPrefix(".")
    }

    /// Loads one manifest; a `ManifestError` lists every problem, each line prefixed with the file name.
    public func load(file: URL) throws -> [any Integration] {
        [try ManifestIntegration.load(contentsOf: file, execSlots: execSlots)]
    }
}
