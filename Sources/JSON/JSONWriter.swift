/// How `serialized` lays out a document.
public enum JSONLayout: Sendable {
    /// No whitespace at all: for the wire.
    case compact
    /// One member per line, indented by `indent` spaces, `"key": value`, as Python's `json.dumps(indent=4)`.
    case pretty(indent: Int)
}

extension JSONValue {
    /// The document as UTF-8 bytes, object keys sorted.
    public func serializedBytes(_ layout: JSONLayout = .compact) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(64)
        write(into: &out, layout: layout, level: 0)
        return out
    }

    /// The document as a string, object keys sorted.
    public func serialized(_ layout: JSONLayout = .compact) -> String {
        String(decoding: serializedBytes(layout), as: UTF8.self)
    }

    /// Appends the document to `out`.
    public func write(into out: inout [UInt8], layout: JSONLayout = .compact, level: Int = 0) {
        switch self {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .number(let d): JSONValue.writeNumber(d, into: &out)
        case .string(let s): JSONValue.writeString(s, into: &out)
        case .array(let elements):
            if elements.isEmpty { out.append(contentsOf: "[]".utf8); return }
            out.append(UInt8(ascii: "["))
            for (i, element) in elements.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                JSONValue.newline(&out, layout, level + 1)
                element.write(into: &out, layout: layout, level: level + 1)
            }
            JSONValue.newline(&out, layout, level)
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            if members.isEmpty { out.append(contentsOf: "{}".utf8); return }
            out.append(UInt8(ascii: "{"))
            for (i, member) in members.sorted(by: { $0.key < $1.key }).enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                JSONValue.newline(&out, layout, level + 1)
                JSONValue.writeString(member.key, into: &out)
                out.append(UInt8(ascii: ":"))
                if case .pretty = layout { out.append(UInt8(ascii: " ")) }
                member.value.write(into: &out, layout: layout, level: level + 1)
            }
            JSONValue.newline(&out, layout, level)
            out.append(UInt8(ascii: "}"))
        }
    }

    private static func newline(_ out: inout [UInt8], _ layout: JSONLayout, _ level: Int) {
        guard case .pretty(let indent) = layout else { return }
        out.append(UInt8(ascii: "\n"))
        out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: indent * level))
    }

    /// Writes a number; integral values within ±2^53 print without a fraction (`3`, not `3.0`).
    public static func writeNumber(_ d: Double, into out: inout [UInt8]) {
        guard d.isFinite else { out.append(contentsOf: "null".utf8); return }
        if d.rounded() == d, abs(d) <= 9_007_199_254_740_992 {
            out.append(contentsOf: String(Int64(d)).utf8)
        } else {
            out.append(contentsOf: String(d).utf8)
        }
    }

    /// Writes `s` as a JSON string literal, escaping quotes, backslashes and control characters. Runs of bytes that
    /// need no escaping are copied in one go.
    public static func writeString(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var s = s
        s.withUTF8 { bytes in
            var start = 0
            for index in 0..<bytes.count {
                let byte = bytes[index]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<index]))
                writeEscaped(byte, into: &out)
                start = index + 1
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start...]))
        }
        out.append(UInt8(ascii: "\""))
    }

    private static func writeEscaped(_ byte: UInt8, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\\"))
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"): out.append(byte)
        case 0x0A: out.append(UInt8(ascii: "n"))
        case 0x0D: out.append(UInt8(ascii: "r"))
        case 0x09: out.append(UInt8(ascii: "t"))
        default:
            let hex: StaticString = "0123456789abcdef"
            out.append(UInt8(ascii: "u"))
            out.append(UInt8(ascii: "0"))
            out.append(UInt8(ascii: "0"))
            out.append(hex.utf8Start[Int(byte >> 4)])
            out.append(hex.utf8Start[Int(byte & 0xF)])
        }
    }
}

extension JSONValue {
    /// `serializedBytes().count` (compact), counted without writing the document: what storage weighs a value by
    /// on every write.
    public var serializedCount: Int {
        var remaining = Int.max
        _ = consume(&remaining)
        return Int.max - remaining
    }

    /// `serializedCount` when it is at most `limit`, else nil. Walks no further than it must: a string longer than
    /// `limit` bytes, or an array or object with more members than `limit` could hold, is over at once.
    public func serializedCount(notOver limit: Int) -> Int? {
        var remaining = limit
        return consume(&remaining) ? limit - remaining : nil
    }

    /// Takes this value's serialized length from `remaining`; false as soon as it does not fit.
    private func consume(_ remaining: inout Int) -> Bool {
        switch self {
        case .null: remaining -= 4
        case .bool(let b): remaining -= b ? 4 : 5
        case .number(let d): remaining -= JSONValue.serializedCount(of: d)
        case .string(let s):
            guard s.utf8.count + 2 <= remaining else { return false }
            remaining -= JSONValue.serializedCount(of: s)
        case .array(let elements):
            remaining -= elements.isEmpty ? 2 : 1 + elements.count
            for element in elements where remaining >= 0 {
                guard element.consume(&remaining) else { return false }
            }
        case .object(let members):
            remaining -= members.isEmpty ? 2 : 1 + 2 * members.count
            for (key, value) in members where remaining >= 0 {
                guard key.utf8.count + 2 <= remaining else { return false }
                remaining -= JSONValue.serializedCount(of: key)
                guard value.consume(&remaining) else { return false }
            }
        }
        return remaining >= 0
    }

    /// The length of `d` as `write` writes it.
    private static func serializedCount(of d: Double) -> Int {
        guard d.isFinite else { return 4 }
        guard d.rounded() == d, abs(d) <= 9_007_199_254_740_992 else { return String(d).utf8.count }
        var magnitude = Int64(d).magnitude
        var digits = d < 0 ? 2 : 1
        while magnitude >= 10 {
            magnitude /= 10
            digits += 1
        }
        return digits
    }

    /// The length of `s` as `writeString` writes it, quotes included.
    private static func serializedCount(of s: String) -> Int {
        var count = 2
        for byte in s.utf8 {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), 0x0A, 0x0D, 0x09: count += 2
            case 0..<0x20: count += 6
            default: count += 1
            }
        }
        return count
    }
}
