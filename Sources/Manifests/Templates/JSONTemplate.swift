import JSON

/// A JSON structure whose strings are templates: request bodies, stored values, reply JSON. A string that is one
/// placeholder and nothing else keeps its value's type (`"{{count}}"` → `3`); other strings render as text.
indirect enum JSONTemplate: Sendable {
    case constant(JSONValue)
    case text(Template)
    case array([JSONTemplate])
    case object([String: JSONTemplate])

    /// Parses every string in `value` as a template, reporting syntax errors with their paths.
    init?(_ value: JSONValue, at path: String, context: ManifestDecodingContext) {
        switch value {
        case .string(let s):
            guard let template = context.template(s, at: path) else { return nil }
            self = template.isConstant ? .constant(value) : .text(template)
        case .array(let elements):
            var parts: [JSONTemplate] = []
            var ok = true
            for (index, element) in elements.enumerated() {
                if let part = JSONTemplate(element, at: ManifestReader.join(path, index), context: context) {
                    parts.append(part)
                } else {
                    ok = false
                }
            }
            guard ok else { return nil }
            self = .array(parts)
        case .object(let members):
            var parts: [String: JSONTemplate] = [:]
            var ok = true
            for key in members.keys.sorted() {
                if let part = JSONTemplate(members[key]!, at: ManifestReader.join(path, key), context: context) {
                    parts[key] = part
                } else {
                    ok = false
                }
            }
            guard ok else { return nil }
            self = .object(parts)
        default:
            self = .constant(value)
        }
    }

    func render(in scope: ManifestScope) -> JSONValue {
        switch self {
        case .constant(let value): return value
        case .text(let template): return template.renderValue(in: scope)
        case .array(let parts): return .array(parts.map { $0.render(in: scope) })
        case .object(let parts): return .object(parts.mapValues { $0.render(in: scope) })
        }
    }
}
