/// Byte classes from RFC 9110/9112 used by the parser.
enum HTTPByte {
    static let cr: UInt8 = 13
    static let lf: UInt8 = 10
    static let space: UInt8 = 32
    static let tab: UInt8 = 9
    static let colon: UInt8 = 58
    static let semicolon: UInt8 = 59

    /// `tchar`: the characters of a token (method, field name).
    static func isTokenChar(_ b: UInt8) -> Bool { tokenTable[Int(b)] }

    /// A byte allowed in a field value: HTAB, visible ASCII, space, obs-text.
    static func isFieldValueByte(_ b: UInt8) -> Bool { b == tab || (b >= 0x20 && b != 0x7F) }

    /// A byte allowed in a request target: visible ASCII.
    static func isTargetByte(_ b: UInt8) -> Bool { b > 0x20 && b < 0x7F }

    static func hexValue(_ b: UInt8) -> Int? {
        switch b {
        case 48...57: return Int(b - 48)
        case 97...102: return Int(b - 87)
        case 65...70: return Int(b - 55)
        default: return nil
        }
    }

    static func lower(_ b: UInt8) -> UInt8 { (b >= 65 && b <= 90) ? b | 0x20 : b }

    private static let tokenTable: [Bool] = (0..<256).map { value in
        let b = UInt8(value)
        switch b {
        case 48...57, 65...90, 97...122: return true
        default: return Array("!#$%&'*+-.^_`|~".utf8).contains(b)
        }
    }
}
