import JSON

/// How a placeholder's text is escaped for where it lands. Each target has a default (documented in
/// integrations/README.md); a placeholder can name its own with a filter (`| url`, `| html`, `| json`, `| raw`).
enum TemplateEscape: Sendable, Equatable {
    /// As it is: replies, exec arguments, storage keys, JSON bodies built from structure.
    case none
    /// The inside of a JSON string (quotes not added), for raw bodies sent as JSON. The `json` filter instead
    /// writes a whole JSON value, quotes included.
    case json
    /// Percent-encoding of everything but `A-Z a-z 0-9 - . _ ~`: URLs and form bodies.
    case url
    /// `& < > " '` as entities.
    case html
    /// Header values: CR and LF removed so a value cannot start a new header.
    case header

    func apply(to text: String) -> String {
        switch self {
        case .none:
            return text
        case .json:
            return String(JSONValue.string(text).serialized().dropFirst().dropLast())
        case .url:
            return TemplateEscape.percentEncode(text)
        case .html:
            var out = ""
            out.reserveCapacity(text.utf8.count)
            for c in text {
                switch c {
                case "&": out += "&amp;"
                case "<": out += "&lt;"
                case ">": out += "&gt;"
                case "\"": out += "&quot;"
                case "'": out += "&#39;"
                default: out.append(c)
                }
            }
            return out
        case .header:
            return String(text.unicodeScalars.filter { $0 != "\r" && $0 != "\n" && $0 != "\0" })
        }
    }

    static func percentEncode(_ text: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                out.append(byte)
            default:
                out.append(UInt8(ascii: "%"))
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0x0F)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
