/// One entry of `parse_json` (adnanh/webhook's `parse-parameters-as-json`): a request value that holds a JSON
/// document, such as `form.payload` or `header.X-Data`, to be addressed inside (`{{form.payload.commits.0.id}}`).
struct JSONParameter: Sendable, CustomStringConvertible {
    /// The sources a parameter may come from.
    static let sources: Set<String> = ["form", "header", "param", "payload"]

    let source: String
    let name: String

    /// `SOURCE.NAME`, or `nil` when the text is not one.
    init?(_ text: String) {
        guard let dot = text.firstIndex(of: "."), case let source = String(text[..<dot]), JSONParameter.sources.contains(source)
        else { return nil }
        let name = String(text[text.index(after: dot)...])
        guard !name.isEmpty, !name.contains(".") else { return nil }
        self.source = source
        self.name = name
    }

    /// Where the parsed value is kept: header names compare without case.
    var key: String { JSONParameter.key(source: source, name: name) }

    static func key(source: String, name: String) -> String {
        source == "header" ? "header.\(name.lowercased())" : "\(source).\(name)"
    }

    var description: String { "\(source).\(name)" }
}
