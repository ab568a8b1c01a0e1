import JSON

/// A filter that reads a placeholder's value as a list rather than its text: `join: ", "`, `numbered`, `length`.
/// It comes first among the filters (`default` aside), and what it gives is the value the text filters and
/// escapes after it see.
///
/// A missing value or null is the empty list; an array is its elements; any other value is a list of that one
/// value. Elements render as text (strings as they are, numbers without a trailing `.0`, arrays and objects as
/// compact JSON).
enum ListFilter: Sendable, Equatable {
    /// The elements' text joined by the separator (`, ` when none is given).
    case join(String)
    /// One line an element, `1. first` to `N. last`, joined by `\n`; empty for the empty list.
    case numbered
    /// The number of elements of an array, of members of an object, or of characters of any other value's text;
    /// 0 when missing or null.
    case length

    static let defaultSeparator = ", "

    var name: String {
        switch self {
        case .join: return "join"
        case .numbered: return "numbered"
        case .length: return "length"
        }
    }

    func apply(to value: JSONValue?) -> JSONValue {
        switch self {
        case .join(let separator):
            return .string(ListFilter.elements(of: value).map(\.plainText).joined(separator: separator))
        case .numbered:
            let lines = ListFilter.elements(of: value).enumerated().map { "\($0.offset + 1). \($0.element.plainText)" }
            return .string(lines.joined(separator: "\n"))
        case .length:
            switch value {
            case nil, .null?: return .number(0)
            case .array(let elements)?: return .number(Double(elements.count))
            case .object(let members)?: return .number(Double(members.count))
            case let other?: return .number(Double(other.plainText.count))
            }
        }
    }

    static func elements(of value: JSONValue?) -> [JSONValue] {
        switch value {
        case nil, .null?: return []
        case .array(let elements)?: return elements
        case let other?: return [other]
        }
    }
}
