import Foundation
import JSON

/// One `{{ ... }}`: what it reads and how it is shown.
struct Placeholder: Sendable {
    enum Filter: Sendable, Equatable {
        case trim, lower, upper
        case escape(TemplateEscape)
    }

    /// The dot paths, split: the first that has a value is used (`{{ param.env ?? query }}`); empty for a literal.
    let alternatives: [[String]]
    let literal: String?
    let defaultValue: String?
    let filters: [Filter]
    /// The placeholder as written, braces included, for messages.
    let sourceText: String

    /// The variables the paths start with (`payload` in `payload.ref`); empty for a literal.
    var roots: [String] { alternatives.compactMap(\.first) }

    /// Whether the value passes through untouched (only `default` given), so its JSON type can be kept.
    var keepsType: Bool { literal == nil && filters.isEmpty }

    init(parsing inner: Substring) throws(Template.SyntaxError) {
        sourceText = "{{\(inner)}}"
        let segments = try Placeholder.split(inner)
        let head = segments[0].trimmingCharacters(in: .whitespaces)
        if head.hasPrefix("\"") {
            literal = try Placeholder.unquote(head)
            alternatives = []
        } else {
            guard !head.isEmpty else { throw Template.SyntaxError(reason: "empty placeholder '{{}}'") }
            var paths: [[String]] = []
            for alternative in head.components(separatedBy: "??") {
                let text = alternative.trimmingCharacters(in: .whitespaces)
                let components = text.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
                guard components.allSatisfy({ !$0.isEmpty && $0.allSatisfy(Placeholder.isPathCharacter) }) else {
                    throw Template.SyntaxError(
                        reason: "'\(text)' is not a variable path (letters, digits, _ and -, joined by dots)")
                }
                paths.append(components)
            }
            literal = nil
            alternatives = paths
        }
        var filters: [Filter] = []
        var defaultValue: String?
        for segment in segments.dropFirst() {
            let text = segment.trimmingCharacters(in: .whitespaces)
            if text.hasPrefix("default") {
                var argument = text.dropFirst("default".count).trimmingCharacters(in: .whitespaces)
                guard argument.hasPrefix(":") else {
                    throw Template.SyntaxError(reason: "filter 'default' needs a value, as in default: \"text\"")
                }
                argument = argument.dropFirst().trimmingCharacters(in: .whitespaces)
                defaultValue = argument.hasPrefix("\"") ? try Placeholder.unquote(argument) : argument
                continue
            }
            switch text {
            case "trim": filters.append(.trim)
            case "lower": filters.append(.lower)
            case "upper": filters.append(.upper)
            case "json": filters.append(.escape(.json))
            case "url": filters.append(.escape(.url))
            case "html": filters.append(.escape(.html))
            case "raw": filters.append(.escape(.none))
            default:
                throw Template.SyntaxError(
                    reason: "unknown filter '\(text)' (known: default, trim, lower, upper, json, url, html, raw)")
            }
        }
        self.filters = filters
        self.defaultValue = defaultValue
    }

    /// The value, with the default applied; nil when missing and no default is given (a warning is logged).
    func value(in scope: ManifestScope) -> JSONValue? {
        if let literal { return .string(literal) }
        var found: JSONValue?
        for path in alternatives {
            found = scope.lookup(path)
            switch found {
            case nil, .null?, .string("")?: continue
            default: return found
            }
        }
        if let defaultValue { return .string(defaultValue) }
        if found == nil { scope.warnMissing(alternatives.map { $0.joined(separator: ".") }.joined(separator: " ?? ")) }
        return found
    }

    func render(in scope: ManifestScope, escape: TemplateEscape) -> String {
        let value = value(in: scope) ?? .null
        var text = value.plainText
        var transformed = false
        var escaped = false
        for filter in filters {
            switch filter {
            case .trim:
                text = text.trimmingCharacters(in: .whitespacesAndNewlines)
                transformed = true
            case .lower:
                text = text.lowercased()
                transformed = true
            case .upper:
                text = text.uppercased()
                transformed = true
            case .escape(.json):
                text = transformed || value.stringValue != nil ? JSONValue.string(text).serialized() : value.serialized()
                escaped = true
            case .escape(let other):
                text = other.apply(to: text)
                escaped = true
            }
        }
        return escaped ? text : escape.apply(to: text)
    }

    private static func isPathCharacter(_ c: Character) -> Bool {
        c.isASCII && (c.isLetter || c.isNumber || c == "_" || c == "-")
    }

    /// Splits on `|` outside quotes.
    private static func split(_ inner: Substring) throws(Template.SyntaxError) -> [Substring] {
        var segments: [Substring] = []
        var start = inner.startIndex
        let unterminated = QuotedScan.forEachUnquoted(in: inner) { index in
            if inner[index] == "|" {
                segments.append(inner[start..<index])
                start = inner.index(after: index)
            }
            return true
        }
        guard !unterminated else { throw Template.SyntaxError(reason: "unterminated quoted string in '{{\(inner)}}'") }
        segments.append(inner[start...])
        return segments
    }

    /// A JSON-style quoted string: `"a \"b\""` → `a "b"`.
    private static func unquote(_ text: String) throws(Template.SyntaxError) -> String {
        guard text.count >= 2, text.hasSuffix("\""), case .string(let s)? = try? JSONValue(parsing: text) else {
            throw Template.SyntaxError(reason: "\(text) is not a valid quoted string")
        }
        return s
    }
}
