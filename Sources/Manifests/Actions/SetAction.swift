import IntegrationContract
import JSON

/// `{"set": {"name": "template or JSON", ...}}`: defines variables.
struct SetAction: ActionStep {
    let values: [String: JSONTemplate]

    static func decode(_ body: JSONValue, at path: String, context: ManifestDecodingContext) -> SetAction? {
        guard case .object(let members) = body, !members.isEmpty else {
            context.reader.fail(path, "must be a non-empty object of variable names and values")
            return nil
        }
        var values: [String: JSONTemplate] = [:]
        for key in members.keys.sorted() {
            if let value = JSONTemplate(members[key]!, at: ManifestReader.join(path, key), context: context) {
                values[key] = value
            }
        }
        for key in members.keys.sorted() { context.define(key, at: ManifestReader.join(path, key)) }
        return values.count == members.count ? SetAction(values: values) : nil
    }

    func perform(in scope: ManifestScope, reply: inout Reply?) async throws -> JSONValue? {
        for (name, value) in values.sorted(by: { $0.key < $1.key }) { scope.variables[name] = value.render(in: scope) }
        return nil
    }
}
