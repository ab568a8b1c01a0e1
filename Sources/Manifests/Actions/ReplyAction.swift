import HTTPTypes
import IntegrationContract
import JSON

/// `{"reply": "text"}` or `{"reply": {"text", "color", "notify", "visibility", "status", "headers", "json"}}`:
/// sets the run's reply (a later reply replaces an earlier one).
struct ReplyAction: ActionStep {
    let text: Template?
    let color: Reply.Color?
    let notify: Bool
    let visibility: Reply.Visibility?
    let status: Int?
    let headers: [(name: String, value: Template)]
    let json: JSONTemplate?

    static func decode(_ body: JSONValue, at path: String, context: ManifestDecodingContext) -> ReplyAction? {
        let reader = context.reader
        if case .string(let source) = body {
            guard let text = context.template(source, at: path) else { return nil }
            return ReplyAction(text: text, color: nil, notify: false, visibility: nil, status: nil, headers: [], json: nil)
        }
        guard let members = reader.object(
            body, at: path, allowed: ["text", "color", "notify", "visibility", "status", "headers", "json"])
        else { return nil }
        let before = reader.problems.count
        let text = context.template(members, "text", at: path)
        let colorName = reader.string(members, "color", at: path)
        let color = colorName.flatMap(Reply.Color.init(rawValue:))
        if colorName != nil, color == nil {
            let names = Reply.Color.allCases.map(\.rawValue).sorted().joined(separator: ", ")
            reader.fail(ManifestReader.join(path, "color"), "must be one of: \(names)")
        }
        let visibilityName = reader.string(members, "visibility", at: path)
        let visibility = visibilityName.flatMap(Reply.Visibility.init(rawValue:))
        if visibilityName != nil, visibility == nil {
            reader.fail(ManifestReader.join(path, "visibility"), "must be \"in_channel\" or \"ephemeral\"")
        }
        let status = reader.integer(members, "status", at: path, in: 100...599)
        var headers: [(name: String, value: Template)] = []
        if let headerValue = members["headers"], let pairs = reader.stringMap(headerValue, at: ManifestReader.join(path, "headers")) {
            for pair in pairs {
                if let template = context.template(pair.value, at: ManifestReader.join(ManifestReader.join(path, "headers"), pair.key)) {
                    headers.append((pair.key, template))
                }
            }
        }
        let json = members["json"].flatMap { JSONTemplate($0, at: ManifestReader.join(path, "json"), context: context) }
        if members["text"] == nil && members["json"] == nil && members["status"] == nil {
            reader.fail(path, "needs at least one of: text, json, status")
        }
        guard reader.problems.count == before else { return nil }
        return ReplyAction(
            text: text, color: color, notify: reader.bool(members, "notify", at: path) ?? false, visibility: visibility,
            status: status, headers: headers, json: json)
    }

    func perform(in scope: ManifestScope, reply: inout Reply?) async throws -> JSONValue? {
        reply = Reply(
            text?.render(in: scope) ?? "", color: color, notify: notify, visibility: visibility,
            json: json?.render(in: scope), status: status,
            headers: HTTPHeaders(headers.map { ($0.name, $0.value.render(in: scope, escape: .header)) }))
        return nil
    }
}

extension ReplyAction {
    /// `200 "text"`, or the status and the JSON body.
    func traceSummary(result: JSONValue?, reply: Reply?) -> String {
        guard let reply else { return "no reply" }
        let body = reply.json?.serialized() ?? JSONValue.string(reply.text).serialized()
        return "\(reply.status ?? 200) " + (body.count > 200 ? String(body.prefix(200)) + "…" : body)
    }
}
