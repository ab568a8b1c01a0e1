import HTTPTypes
import IntegrationContract
import JSON

/// How a run ends when a rule does not match (`on_mismatch`) or an action fails (`on_error`): a reply with a
/// status (`reply` given), or an error the host answers as `{"error": message}` with the status.
struct FailureResponse: Sendable {
    var status: HTTPStatus
    var reply: Template?
    var message: Template?
    /// `on_error` only: record the error in `error` and go on with the next action.
    var continues: Bool

    init(status: HTTPStatus, reply: Template? = nil, message: Template? = nil, continues: Bool = false) {
        self.status = status
        self.reply = reply
        self.message = message
        self.continues = continues
    }

    /// Reads `on_mismatch` or `on_error` (with `allowContinue`) at `path`; `status` is the default status.
    static func decode(
        _ value: JSONValue, at path: String, defaultStatus: HTTPStatus, allowContinue: Bool, context: ManifestDecodingContext
    ) -> FailureResponse? {
        let reader = context.reader
        var keys: Set<String> = ["status", "reply", "message"]
        if allowContinue { keys.insert("continue") }
        guard let members = reader.object(value, at: path, allowed: keys) else { return nil }
        let status = reader.integer(members, "status", at: path, in: 100...599).map { HTTPStatus($0) } ?? defaultStatus
        return FailureResponse(
            status: status,
            reply: context.template(members, "reply", at: path),
            message: context.template(members, "message", at: path),
            continues: reader.bool(members, "continue", at: path) ?? false)
    }

    /// The reply to answer with, or the error to throw, for a failure described by `reason`.
    func resolve(in scope: ManifestScope, reason: String) -> Result<Reply, IntegrationError> {
        if let reply {
            return .success(Reply(reply.render(in: scope), status: status.code))
        }
        return .failure(IntegrationError(status: status, message?.render(in: scope) ?? reason))
    }
}

extension Result<Reply, IntegrationError> {
    /// `401 "reason"` (an error) or `200 "text"` (a reply), for traces.
    var traceSummary: String {
        switch self {
        case .success(let reply): return "\(reply.status ?? 200) \(JSONValue.string(reply.text).serialized())"
        case .failure(let error): return "\(error.status.code) \(JSONValue.string(error.message).serialized())"
        }
    }
}
