/// The rule for integration and command names: `[A-Za-z0-9_-]{1,64}`.
public enum IntegrationName {
    public static func isValid(_ name: some StringProtocol) -> Bool {
        (1...64).contains(name.utf8.count) && name.utf8.allSatisfy { isNameByte($0, allowingDot: false) }
    }

    /// Whether `byte` is `[A-Za-z0-9_-]`, or `.` too when `allowingDot`: the alphabet of names, token names,
    /// request ids and state file segments.
    public static func isNameByte(_ byte: UInt8, allowingDot: Bool) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"):
            return true
        case UInt8(ascii: "."):
            return allowingDot
        default:
            return false
        }
    }
}
