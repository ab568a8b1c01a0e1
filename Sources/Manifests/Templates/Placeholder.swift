import Foundation
import JSON

/// One `{{ ... }}`: what it reads and how it is shown.
struct Placeholder: Sendable {
    enum Filter: Sendable, Equatable {
        case trim, lower, upper
        case list(ListFilter)
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

    /// The list filter, which can only come first.
    var listFilter: ListFilter? {
        if case .list(let filter)? = filters.first { return filter }
        return nil
    }

    /// Whether the value reaches the target as a value (only `default` and a list filter given), so its JSON type
    /// can be kept: `{{n}}` stays a number, `{{list | length}}` is one.
    var keepsType: Bool { literal == nil && filters.count == (listFilter == nil ? 0 : 1) }

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
            let filter: Filter
            switch text {
            case "trim": filter = .trim
            case "lower": filter = .lower
            case "upper": filter = .upper
            case "numbered": filter = .list(.numbered)
            case "length": filter = .list(.length)
            case "json": filter = .escape(.json)
            case "url": filter = .escape(.url)
            case "html": filter = .escape(.html)
            case "raw": filter = .escape(.none)
            case _ where text == "join" || text.hasPrefix("join:") || text.hasPrefix("join "):
                filter = .list(.join(try Placeholder.joinSeparator(text)))
            default:
                throw Template.SyntaxError(
                    reason: "unknown filter '\(text)' (known: default, trim, lower, upper, join, numbered, length, json, url, html, raw)")
            }
            if case .list(let list) = filter, !filters.isEmpty {
                throw Template.SyntaxError(
                    reason: "filter '\(list.name)' must come before the other filters: it reads the value as a list, not text")
            }
            filters.append(filter)
        }
        self.filters = filters
        self.defaultValue = defaultValue
    }

    /// The value, with the default applied; nil when missing and no default is given (a warning is logged, unless
    /// a list filter reads it: a list that was never stored is the empty list).
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
        if found == nil, listFilter == nil {
            scope.warnMissing(alternatives.map { $0.joined(separator: ".") }.joined(separator: " ?? "))
        }
        return found
    }

    /// The value with the default and the list filter applied; null when missing.
    func shapedValue(in scope: ManifestScope) -> JSONValue {
        let value = value(in: scope)
        return listFilter.map { $0.apply(to: value) } ?? value ?? .null
    }

    func render(in scope: ManifestScope, escape: TemplateEscape) -> String {
        let value = shapedValue(in: scope)
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
            case .list:
                continue
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

    /// The separator of a `join` filter: `join` alone is `, `; `join: SEP` takes SEP quoted (`join: " | "`) or bare.
    private static func joinSeparator(_ text: String) throws(Template.SyntaxError) -> String {
        let rest = text.dropFirst("join".count).trimmingCharacters(in: .whitespaces)
        if rest.isEmpty { return ListFilter.defaultSeparator }
        let argument = rest.dropFirst().trimmingCharacters(in: .whitespaces)
        guard rest.hasPrefix(":"), !argument.isEmpty else {
            throw Template.SyntaxError(reason: "filter 'join' takes its separator after a colon, as in join: \", \"")
        }
        return argument.hasPrefix("\"") ? try Placeholder.unquote(argument) : argument
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
