/// Comparisons whose running time does not depend on where two secrets differ.
public enum ConstantTime {
    /// Whether `a` and `b` are equal, looking at every byte of both. Only the lengths can leak.
    public static func equals(_ a: some Collection<UInt8>, _ b: some Collection<UInt8>) -> Bool {
        var difference = UInt8(truncatingIfNeeded: a.count ^ b.count)
        if a.count != b.count { difference |= 1 }
        var ia = a.makeIterator()
        var ib = b.makeIterator()
        let longest = max(a.count, b.count)
        for _ in 0..<longest {
            let x = ia.next() ?? 0
            let y = ib.next() ?? 0
            difference |= x ^ y
        }
        return difference == 0
    }

    /// Whether two strings have the same UTF-8 bytes, compared in constant time.
    public static func equals(_ a: String, _ b: String) -> Bool {
        equals(Array(a.utf8), Array(b.utf8))
    }
}
