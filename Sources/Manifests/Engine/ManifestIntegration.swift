import Foundation
import HTTPTypes
import IntegrationContract
import JSON

/// An integration described by a JSON manifest: identity, rules, then actions in order.
///
/// A run checks the method (one `/hooks/NAME` or a route takes), then each entry of `rules` in order; the first that does not hold ends the run with
/// its `on_mismatch` (a reply with a status when it has `reply`, else an `IntegrationError` with the status,
/// which the host answers as `{"error": message}`). Then the actions run in order; the last `reply` is the answer
/// (`nil` when there is none).
public struct ManifestIntegration: Integration {
    /// One entry of `rules`: a rule and what its mismatch answers.
    struct Check: Sendable {
        let rule: ManifestRule
        let onMismatch: FailureResponse
        let path: String
    }

    public let name: String
    public let summary: String
    public let commands: [String]
    public let routes: [IntegrationRoute]
    /// The methods of `routes` entries that give none (default POST). `/hooks/NAME` takes POST and the methods
    /// of the routes, as the host's generic webhook route does.
    public let methods: Set<HTTPMethod>
    /// `hook_methods`: the methods `/hooks/NAME` takes (adnanh/webhook's `http-methods`); by default POST and the
    /// methods of the routes.
    public let hookMethods: Set<HTTPMethod>
    /// `content_type`: how webhook bodies are decoded, whatever their `Content-Type` says.
    public let payloadContentType: String?
    let checks: [Check]
    let actions: [ManifestAction]
    let regexTimeout: Duration
    /// `signature_failures`: `hard` (true, the default) ends the run when a signature rule does not hold; `soft`
    /// makes it a plain mismatch.
    let signatureFailuresAreHard: Bool
    /// `parse_json`: request values parsed as JSON documents before the rules run.
    let jsonParameters: [JSONParameter]
    /// Where its regexes are matched: its own share of the host's pool.
    let regexPool: RegexPool.Lane
    /// `limits`: runs at once and waiting; `nil` for the host's standard ones.
    public let runLimits: RunLimits?
    /// `limits.body_mib` in bytes: the largest body its webhook routes take; `nil` for the host's `--max-body`.
    public let bodyLimit: Int?

    /// What is left for the steps that neither wait nor match a regex: template rendering, storage, calc and dice
    /// on bounded input take microseconds; this is the margin allowed for them in `runTimeBound`.
    static let stepAllowance: Duration = .milliseconds(100)

    /// Without `http` or `exec` steps that wait, a run only computes: at most every regex at its time limit, plus
    /// the allowance for the rest.
    public let runTimeBound: Duration?

    static func runTimeBound(checks: [Check], actions: [ManifestAction], regexTimeout: Duration) -> Duration? {
        guard !actions.contains(where: \.step.waits) else { return nil }
        let regexes = checks.reduce(0) { $0 + $1.rule.regexCount } + actions.reduce(0) { $0 + ($1.condition?.regexCount ?? 0) }
        return regexTimeout * regexes + stepAllowance
    }

    public func run(_ invocation: Invocation) async throws -> Reply? {
        let method = invocation.request.method
        guard hookMethods.contains(method) || routes.contains(where: { $0.methods.contains(method) }) else {
            throw IntegrationError(status: .methodNotAllowed, "method \(method) is not allowed here")
        }
        let scope = ManifestScope(invocation: invocation, signatureFailuresAreHard: signatureFailuresAreHard)
        try scope.parseJSON(jsonParameters)
        for check in checks {
            let path = scope.isTraced ? check.path : nil
            if try await check.rule.evaluate(in: scope, regexTimeout: regexTimeout, pool: regexPool, at: path) { continue }
            invocation.log.debug("\(check.path) did not match")
            let answer = check.onMismatch.resolve(in: scope, reason: "the request does not satisfy \(check.path)")
            scope.note(path, nil, "did not hold: the run ends with \(answer.traceSummary)")
            return try answer.get()
        }
        var reply: Reply?
        for action in actions {
            let path = scope.isTraced ? action.path : nil
            if let condition = action.condition,
                try await !condition.evaluate(
                    in: scope, regexTimeout: regexTimeout, pool: regexPool, at: path.map { ManifestReader.join($0, "if") })
            {
                if let failure = scope.signatureFailure {
                    invocation.log.debug("\(action.path).if: \(failure)")
                    scope.note(path, nil, "ended the run: \(failure)")
                    throw IntegrationError(status: .unauthorized, failure)
                }
                scope.note(path, nil, "skipped: its if did not hold")
                continue
            }
            try Task.checkCancellation()
            let started = path == nil ? nil : ContinuousClock.now
            do {
                let result = try await action.step.perform(in: scope, reply: &reply)
                if let into = action.into { scope.variables[into] = result ?? .null }
                scope.note(path, action.kind, action.step.traceSummary(result: result, reply: reply) + action.took(since: started))
            } catch let failure as ActionFailure {
                if let into = action.into, let result = failure.result { scope.variables[into] = result }
                scope.variables["error"] = .string(failure.reason)
                guard let response = action.onError else {
                    // The action's own error, with its Retry-After (a 503 for full exec slots says when to retry).
                    invocation.log.warning("\(action.path) failed: \(failure.reason)")
                    scope.note(path, action.kind, "failed\(action.took(since: started)): \(failure.reason) (\(failure.error.status.code))")
                    throw failure.error
                }
                if response.continues {
                    invocation.log.info("\(action.path) failed, continuing: \(failure.reason)")
                    scope.note(path, action.kind, "failed\(action.took(since: started)), continuing: \(failure.reason)")
                    continue
                }
                invocation.log.warning("\(action.path) failed: \(failure.reason)")
                let answer = response.resolve(in: scope, reason: failure.reason)
                scope.note(path, action.kind, "failed\(action.took(since: started)): \(failure.reason); on_error answers \(answer.traceSummary)")
                return try answer.get()
            }
        }
        return reply
    }
}
