import IntegrationContract
import JSON

/// One kind of action: what a manifest's `actions` entry does once its `if` holds.
protocol ActionStep: Sendable {
    /// Does the work. The result is stored in the action's `into` variable; `reply` is the run's reply so far.
    /// Throws `ActionFailure` for failures the action's `on_error` handles.
    func perform(in scope: ManifestScope, reply: inout Reply?) async throws -> JSONValue?
    /// Whether the step waits on I/O or another process (an HTTP call, an exec). Steps that do not are CPU work on
    /// bounded input, and a manifest made only of them can run without a deadline timer.
    var waits: Bool { get }
    /// What a trace says the step did, from its result and the run's reply after it; only called when the run is
    /// traced. By default the result as compact JSON, or `done`.
    func traceSummary(result: JSONValue?, reply: Reply?) -> String
}

extension ActionStep {
    var waits: Bool { false }

    func traceSummary(result: JSONValue?, reply: Reply?) -> String {
        guard let result else { return "done" }
        let text = result.serialized()
        return text.count > 200 ? String(text.prefix(200)) + "…" : text
    }
}

/// Why an action failed: the error the run answers with when the action has no `on_error`, and what the action
/// produced anyway (an exec's output and status), stored in `into`.
struct ActionFailure: Error {
    let error: IntegrationError
    var result: JSONValue?

    init(_ error: IntegrationError, result: JSONValue? = nil) {
        self.error = error
        self.result = result
    }

    var reason: String { error.message }
}
