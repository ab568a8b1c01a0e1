/// An incremental hash function of the SHA family, as HMAC needs it.
public protocol HashFunction: Sendable {
    /// Digest length in bytes.
    static var byteCount: Int { get }
    /// Input block length in bytes (HMAC pads its key to this).
    static var blockSize: Int { get }
    init()
    /// Feeds more input.
    mutating func update(_ data: some Sequence<UInt8>)
    /// Pads, processes the last blocks, and returns the digest.
    mutating func finalize() -> [UInt8]
}

extension HashFunction {
    /// The digest of `data` in one call.
    public static func hash(_ data: some Sequence<UInt8>) -> [UInt8] {
        var hasher = Self()
        hasher.update(data)
        return hasher.finalize()
    }
}
