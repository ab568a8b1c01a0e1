import JSON

/// A growable byte buffer that writes JSON text with plain memory copies: what `PluginRequest` encodes into, since
/// the per-call overhead of a plugin is mostly writing this document (see `plugin-call-benchmark`). The output is
/// the JSON writer's: the same escapes, the same numbers.
struct PluginRequestWriter: ~Copyable {
    private var base: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    private var count = 0

    init(capacity: Int) {
        self.capacity = max(capacity, 64)
        base = .allocate(capacity: self.capacity)
    }

    deinit { base.deallocate() }

    /// The bytes written, followed by a NUL byte that `count` leaves out.
    consuming func finish() -> (bytes: [UInt8], count: Int) {
        byte(0)
        return (Array(UnsafeBufferPointer(start: base, count: count)), count - 1)
    }

    @inline(__always)
    mutating func byte(_ byte: UInt8) {
        reserve(1)
        base[count] = byte
        count += 1
    }

    /// JSON text written as it is.
    @inline(__always)
    mutating func literal(_ text: StaticString) {
        copy(UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// JSON text already known to be valid, copied as it is.
    mutating func json(_ bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { copy($0) }
    }

    /// Bytes known to be valid UTF-8 as a JSON string literal.
    mutating func string(utf8 bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { escaped($0) }
    }

    /// `s` as a JSON string literal.
    mutating func string(_ s: String) {
        var s = s
        s.withUTF8 { escaped($0) }
    }

    /// `value` as JSON text, object members in storage order.
    mutating func value(_ value: JSONValue) {
        switch value {
        case .object(let members):
            byte(UInt8(ascii: "{"))
            var first = true
            for (key, member) in members {
                if !first { byte(UInt8(ascii: ",")) }
                first = false
                string(key)
                byte(UInt8(ascii: ":"))
                self.value(member)
            }
            byte(UInt8(ascii: "}"))
        case .array(let elements):
            byte(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { byte(UInt8(ascii: ",")) }
                self.value(element)
            }
            byte(UInt8(ascii: "]"))
        case .string(let string):
            self.string(string)
        case .number(let number):
            self.number(number)
        case .bool(let bool):
            literal(bool ? "true" : "false")
        case .null:
            literal("null")
        }
    }

    /// A number as `JSONValue.writeNumber` writes it; integers without the detour through `String`.
    mutating func number(_ d: Double) {
        guard d.isFinite, d.rounded() == d, abs(d) <= 9_007_199_254_740_992 else {
            var text: [UInt8] = []
            JSONValue.writeNumber(d, into: &text)
            text.withUnsafeBufferPointer { copy($0) }
            return
        }
        var magnitude = UInt64(abs(d))
        if d < 0 { byte(UInt8(ascii: "-")) }
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
        withUnsafeMutableBytes(of: &digits) { buffer in
            var index = buffer.count
            repeat {
                index -= 1
                buffer[index] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            copy(UnsafeBufferPointer(rebasing: buffer.bindMemory(to: UInt8.self)[index...]))
        }
    }

    private mutating func escaped(_ bytes: UnsafeBufferPointer<UInt8>) {
        byte(UInt8(ascii: "\""))
        var start = 0
        for index in 0..<bytes.count {
            let byte = bytes[index]
            guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
            copy(UnsafeBufferPointer(rebasing: bytes[start..<index]))
            escape(byte)
            start = index + 1
        }
        copy(UnsafeBufferPointer(rebasing: bytes[start...]))
        byte(UInt8(ascii: "\""))
    }

    private mutating func escape(_ byte: UInt8) {
        reserve(6)
        base[count] = UInt8(ascii: "\\")
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"): base[count + 1] = byte
        case 0x0A: base[count + 1] = UInt8(ascii: "n")
        case 0x0D: base[count + 1] = UInt8(ascii: "r")
        case 0x09: base[count + 1] = UInt8(ascii: "t")
        default:
            let hex: StaticString = "0123456789abcdef"
            base[count + 1] = UInt8(ascii: "u")
            base[count + 2] = UInt8(ascii: "0")
            base[count + 3] = UInt8(ascii: "0")
            base[count + 4] = hex.utf8Start[Int(byte >> 4)]
            base[count + 5] = hex.utf8Start[Int(byte & 0xF)]
            count += 6
            return
        }
        count += 2
    }

    @inline(__always)
    private mutating func copy(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let source = bytes.baseAddress, !bytes.isEmpty else { return }
        reserve(bytes.count)
        (base + count).update(from: source, count: bytes.count)
        count += bytes.count
    }

    @inline(__always)
    private mutating func reserve(_ extra: Int) {
        guard count + extra > capacity else { return }
        let grown = max(capacity * 2, count + extra)
        let larger = UnsafeMutablePointer<UInt8>.allocate(capacity: grown)
        larger.moveInitialize(from: base, count: count)
        base.deallocate()
        base = larger
        capacity = grown
    }
}
