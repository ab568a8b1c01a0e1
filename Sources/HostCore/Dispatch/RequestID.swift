import Synchronization

/// Request ids: 16 hex digits, unique within the process and random-looking, to grep logs by.
public enum RequestID {
    private static let seed = UInt64.random(in: .min ... .max)
    private static let counter = Atomic<UInt64>(0)

    /// The next id: a counter from a random start, mixed (a bijection, so ids never repeat) without a system call.
    public static func make() -> String {
        var value = seed &+ counter.wrappingAdd(1, ordering: .relaxed).newValue
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        value ^= value >> 31
        return String(unsafeUninitializedCapacity: 16) { text in
            for position in (0..<16).reversed() {
                let digit = UInt8(truncatingIfNeeded: value & 0xF)
                text[position] = digit < 10 ? UInt8(ascii: "0") + digit : UInt8(ascii: "a") + digit - 10
                value >>= 4
            }
            return 16
        }
    }
}
