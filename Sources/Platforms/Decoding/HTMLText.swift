import Foundation

/// Teams sends message text as HTML: tags to drop, a few entities to decode.
enum HTMLText {
    private static let entities: [(String, String)] = [
        ("&nbsp;", " "), ("&lt;", "<"), ("&gt;", ">"), ("&quot;", "\""), ("&#39;", "'"), ("&apos;", "'"), ("&amp;", "&"),
    ]

    /// `<p>a&nbsp;&amp;&nbsp;b</p>` → `a & b`.
    static func plain(_ html: String) -> String {
        var text = ""
        var inTag = false
        for character in html {
            switch character {
            case "<": inTag = true
            case ">" where inTag: inTag = false
            default: if !inTag { text.append(character) }
            }
        }
        for (entity, replacement) in entities where text.contains(entity) {
            text = text.replacingOccurrences(of: entity, with: replacement)
        }
        return text
    }
}
