import IntegrationContract
import JSON

/// A run's trace as the value of the `X-Integration-Trace` response header: a JSON array of the trace's lines
/// (`["rules[0].regex: \"deploy x\" did not match ^deploy$", …]`) on one line, in printable ASCII (everything else
/// as `\uXXXX`), at most `maxBytes`; entries that do not fit are left out and counted in a last element.
enum TraceHeader {
    /// The request header that asks for the trace (with the admin token): `X-Integration-Trace: 1`.
    static let name = "X-Integration-Trace"
    /// Small enough for a reverse proxy's default response-header buffer (nginx: 4 KiB) with the other headers.
    static let maxBytes = 3072

    /// Whether `value` asks for a trace.
    static func requested(_ value: String?) -> Bool { value == "1" }

    static func value(_ lines: [String]) -> String {
        var kept: [String] = []
        var size = 2
        for (index, line) in lines.enumerated() {
            let element = ascii(JSONValue.string(line).serialized())
            let left = lines.count - index - 1
            let reserve = left > 0 ? 40 : 0
            guard size + element.utf8.count + 1 + reserve <= maxBytes else {
                kept.append(ascii(JSONValue.string("… \(lines.count - index) more entries").serialized()))
                break
            }
            kept.append(element)
            size += element.utf8.count + 1
        }
        return "[" + kept.joined(separator: ",") + "]"
    }

    /// JSON text with every scalar outside printable ASCII written as `\uXXXX` (UTF-16, so pairs above U+FFFF).
    private static func ascii(_ json: String) -> String {
        var out = ""
        out.reserveCapacity(json.utf8.count)
        for scalar in json.unicodeScalars {
            if (0x20..<0x7F).contains(scalar.value) {
                out.unicodeScalars.append(scalar)
            } else {
                for unit in String(scalar).utf16 {
                    let hex = String(unit, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                }
            }
        }
        return out
    }
}
