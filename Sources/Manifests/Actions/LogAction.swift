import IntegrationContract
import JSON

/// `{"log": "template"}`: one info line in the host log, tagged with the integration and request.
struct LogAction: ActionStep {
    let message: Template

    func perform(in scope: ManifestScope, reply: inout Reply?) async throws -> JSONValue? {
        scope.log.info(message.render(in: scope))
        return nil
    }
}
