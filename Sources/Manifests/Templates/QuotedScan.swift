/// Walks placeholder text with its quoted strings (`"…"`, backslash escapes inside) treated as opaque, so that
/// `|` and `}}` inside a default such as `{{a | default: "x}}|y"}}` are not taken for syntax.
enum QuotedScan {
    /// Calls `visit` with each index of `text` outside quoted strings, in order, until it returns `false`.
    /// Returns whether the text ended inside an unterminated quoted string.
    @discardableResult
    static func forEachUnquoted(in text: Substring, _ visit: (Substring.Index) -> Bool) -> Bool {
        var inQuotes = false
        var index = text.startIndex
        while index < text.endIndex {
            let c = text[index]
            if c == "\\" && inQuotes {
                index = text.index(after: index)
                if index < text.endIndex { index = text.index(after: index) }
                continue
            }
            if c == "\"" { inQuotes.toggle() }
            if !inQuotes && !visit(index) { return false }
            index = text.index(after: index)
        }
        return inQuotes
    }
}
