import HTTPServer
import JSON

/// What `integration-host test` prints: the integration that ran, its trace, its answer (per platform, or the
/// route's HTTP response), the storage changes and the log lines of the run.
struct TrialReport {
    /// One answer as a platform (or an HTTP client) receives it.
    struct Answer {
        let label: String
        let response: HTTPResponse
    }

    /// One storage key that changed: its value before and after (`nil`: absent).
    struct StorageChange {
        let integration: String
        let key: String
        let before: JSONValue?
        let after: JSONValue?
    }

    var request: String
    /// `name (kind, file)`, or `nil` when nothing answered.
    var integration: String?
    /// Problems loading the directory, one per line.
    var problems: [String] = []
    /// The trace's lines; `nil` for an integration that records none (a plugin).
    var trace: [String]?
    var answers: [Answer] = []
    var storage: [StorageChange] = []
    var log: [String] = []
    /// Whether the integration answered (exit status 0) rather than failed or matched nothing (1).
    var answered: Bool
    /// Where storage was written back, with `--save-state`.
    var savedTo: String?

    /// The keys whose values differ between `before` and `after`, sorted.
    static func changes(
        from before: [String: [String: JSONValue]], to after: [String: [String: JSONValue]]
    ) -> [StorageChange] {
        var changes: [StorageChange] = []
        for name in Set(before.keys).union(after.keys).sorted() {
            let old = before[name] ?? [:]
            let new = after[name] ?? [:]
            for key in Set(old.keys).union(new.keys).sorted() where old[key] != new[key] {
                changes.append(StorageChange(integration: name, key: key, before: old[key], after: new[key]))
            }
        }
        return changes
    }

    var text: String {
        var lines = ["request: \(request)"]
        lines += problems.map { "error: \($0)" }
        lines.append("integration: \(integration ?? "none")")
        if let trace {
            lines.append("trace:")
            lines += trace.isEmpty ? ["  (nothing recorded: the integration did not run)"] : trace.map { "  \($0)" }
        } else if integration != nil {
            lines.append("trace: none (only manifests record one)")
        }
        lines.append(answers.count == 1 ? "response:" : "replies:")
        for answer in answers {
            let response = answer.response
            let prefix = answers.count == 1 ? "  " : "  \(answer.label): "
            lines.append("\(prefix)\(response.status)")
            for header in response.headers { lines.append("    \(header.name): \(header.value)") }
            if !response.body.isEmpty { lines.append("    " + String(decoding: response.body, as: UTF8.self)) }
        }
        lines.append(storage.isEmpty ? "storage: unchanged" : "storage:")
        for change in storage {
            lines.append("  \(change.integration).\(change.key): \(Self.show(change.before)) → \(Self.show(change.after))")
        }
        if let savedTo { lines.append("storage saved to \(savedTo)") }
        lines.append("log:")
        lines += log.map { "  \($0)" }
        lines.append("result: \(answered ? "answered" : "failed or nothing matched")")
        return lines.joined(separator: "\n")
    }

    private static func show(_ value: JSONValue?) -> String { value.map { $0.serialized() } ?? "(none)" }
}
