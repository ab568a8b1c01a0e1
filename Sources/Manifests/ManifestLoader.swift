import Foundation
import IntegrationContract

/// The manifest kind: every `*.json` file of the integrations directory is one integration, except JSON Schema
/// files (`*.schema.json`) and hidden files.
public struct ManifestLoader: IntegrationLoader {
    public let kind = "manifest"

    /// What every manifest this loader loads shares: exec slots and containment, the regex pool.
    public let runtime: ManifestRuntime

    public init(runtime: ManifestRuntime = ManifestRuntime()) {
        self.runtime = runtime
    }

    public func accepts(fileName: String) -> Bool {
        fileName.hasSuffix(".json") && !fileName.hasSuffix(".schema.json") && !fileName.hasPrefix(".")
    }

    /// Loads one manifest; a `ManifestError` lists every problem, each line prefixed with the file name.
    public func load(file: URL) throws -> [any Integration] {
        [try ManifestIntegration.load(contentsOf: file, runtime: runtime)]
    }
}
