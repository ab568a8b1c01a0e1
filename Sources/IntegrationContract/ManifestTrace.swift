/// What one run of a manifest did, step by step, as plain values: each rule with its inputs and verdict, each
/// action with its result (`all[1].regex: "deploy x" did not match ^deploy (prod|staging)$`,
/// `actions[0].exec: exit 0 in 12 ms`). Recorded only when asked for (`TraceRecorder`); other kinds of integration
/// record none.
public struct ManifestTrace: Sendable, Equatable {
    /// One step: where in the manifest (`rules[0].all[1].regex`, `actions[2].reply`) and what happened there.
    public struct Entry: Sendable, Equatable {
        public let path: String
        public let detail: String

        public init(path: String, detail: String) {
            self.path = path
            self.detail = detail
        }
    }

    public var entries: [Entry]

    public init(entries: [Entry] = []) {
        self.entries = entries
    }

    /// One line per entry: `path: detail`.
    public var lines: [String] { entries.map { "\($0.path): \($0.detail)" } }
}
