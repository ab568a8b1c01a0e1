/// Why a file in the integrations directory could not be loaded as a plugin. The message names the file.
public struct PluginLoadError: Error, CustomStringConvertible, Sendable {
    /// The file's path.
    public let file: String
    /// What is wrong, in a sentence.
    public let reason: String

    public var description: String { "plugin \(file): \(reason)" }
}
