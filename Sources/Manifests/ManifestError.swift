/// Everything wrong with one manifest file, found at load time. Each problem names the key path and the reason;
/// `description` prints one line per problem, prefixed with the file name, so it is complete on its own:
///
///     deploy.json: actions[2].exec.argv: must be a non-empty array of strings
public struct ManifestError: Error, CustomStringConvertible, Sendable, Equatable {
    /// One problem: where (`actions[2].exec.argv`, empty for the whole document) and why.
    public struct Problem: Sendable, Equatable, CustomStringConvertible {
        public let path: String
        public let reason: String

        public init(path: String, reason: String) {
            self.path = path
            self.reason = reason
        }

        public var description: String { path.isEmpty ? reason : "\(path): \(reason)" }
    }

    /// The manifest's file name (`deploy.json`).
    public let file: String
    public let problems: [Problem]

    public init(file: String, problems: [Problem]) {
        self.file = file
        self.problems = problems
    }

    public var description: String {
        problems.map { "\(file): \($0)" }.joined(separator: "\n")
    }
}
