import IntegrationContract
import JSON

/// `{"calc": "{{query}}", "into": "result"}`: safe arithmetic (see `Calculator`).
struct CalcAction: ActionStep {
    let expression: Template

    func perform(in scope: ManifestScope, reply: inout Reply?) async throws -> JSONValue? {
        do {
            return .number(try Calculator.evaluate(expression.render(in: scope)))
        } catch {
            throw ActionFailure(.badRequest("calc: \(error.reason)"))
        }
    }
}
