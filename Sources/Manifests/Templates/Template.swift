import Foundation
import JSON

/// A text with `{{ name }}` placeholders, parsed once at load time.
///
/// A placeholder is a dot path (`payload.commits.0.id`) or a quoted literal (`"{{"`), followed by filters:
/// `{{ query | default: "1d6" | trim }}`. Filters: `default: TEXT` (used when the value is missing, null or empty),
/// `trim`, `lower`, `upper`, the list filters `join: SEP`, `numbered`, `length` (see `ListFilter`), and the escapes
/// `json`, `url`, `html`, `raw`. Without an explicit escape the target's own escape applies (see `TemplateEscape`).
struct Template: Sendable, CustomStringConvertible {
    enum Part: Sendable {
        case literal(String)
        case placeholder(Placeholder)
    }

    /// Why a template cannot be parsed.
    struct SyntaxError: Error {
        let reason: String
    }

    let parts: [Part]
    let description: String

    init(parsing source: String) throws(SyntaxError) {
        var parts: [Part] = []
        var rest = Substring(source)
        while let open = rest.range(of: "{{") {
            if open.lowerBound > rest.startIndex { parts.append(.literal(String(rest[..<open.lowerBound]))) }
            let afterOpen = rest[open.upperBound...]
            guard let close = Template.closingBraces(in: afterOpen) else {
                throw SyntaxError(reason: "'{{' at offset \(source.distance(from: source.startIndex, to: open.lowerBound)) is not closed by '}}'")
            }
            parts.append(.placeholder(try Placeholder(parsing: afterOpen[..<close.lowerBound])))
            rest = afterOpen[close.upperBound...]
        }
        if !rest.isEmpty { parts.append(.literal(String(rest))) }
        self.parts = parts
        self.description = source
    }

    /// The first `}}` outside a quoted string.
    private static func closingBraces(in text: Substring) -> Range<Substring.Index>? {
        var found: Range<Substring.Index>?
        QuotedScan.forEachUnquoted(in: text) { index in
            let next = text.index(after: index)
            guard text[index] == "}", next < text.endIndex, text[next] == "}" else { return true }
            found = index..<text.index(after: next)
            return false
        }
        return found
    }

    /// The placeholders, in order.
    var placeholders: [Placeholder] {
        parts.compactMap { if case .placeholder(let p) = $0 { return p } else { return nil } }
    }

    /// Whether the template has no placeholders.
    var isConstant: Bool { placeholders.isEmpty }

    /// The template as a single placeholder without text filters, whose value keeps its JSON type.
    var soleValuePlaceholder: Placeholder? {
        guard parts.count == 1, case .placeholder(let p) = parts[0], p.keepsType else { return nil }
        return p
    }

    /// Renders the text. `escape` applies to placeholders that name no escape themselves; with
    /// `leadingRaw`, a placeholder that starts the template is inserted as it is (a base URL from env).
    func render(in scope: ManifestScope, escape: TemplateEscape = .none, leadingRaw: Bool = false) -> String {
        var out = ""
        for (index, part) in parts.enumerated() {
            switch part {
            case .literal(let text):
                out += text
            case .placeholder(let placeholder):
                out += placeholder.render(in: scope, escape: index == 0 && leadingRaw ? .none : escape)
            }
        }
        return out
    }

    /// The value as JSON: a sole placeholder keeps its type (a number stays a number), anything else is a string.
    func renderValue(in scope: ManifestScope) -> JSONValue {
        if let placeholder = soleValuePlaceholder { return placeholder.shapedValue(in: scope) }
        return .string(render(in: scope))
    }
}
