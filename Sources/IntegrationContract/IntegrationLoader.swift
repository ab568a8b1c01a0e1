#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// An integration kind: turns one file of the integrations directory into integrations.
public protocol IntegrationLoader: Sendable {
    /// A short name for logs: "manifest", "plugin".
    var kind: String { get }
    /// Whether a file with this name is of this kind (by extension).
    func accepts(fileName: String) -> Bool
    /// Loads the file. A thrown error names what is wrong; the catalog logs it with the file name and keeps the
    /// file's last good version.
    func load(file: URL) throws -> [any Integration]
}
