/// HMAC-SHA256 (RFC 2104 with SHA-256).
public enum HMACSHA256 {
    /// The 32-byte authentication code of `message` under `key`.
    public static func authenticationCode(for message: some Sequence<UInt8>, key: some Sequence<UInt8>) -> [UInt8] {
        var keyBlock = Array(key)
        if keyBlock.count > SHA256.blockSize { keyBlock = SHA256.hash(keyBlock) }
        keyBlock += [UInt8](repeating: 0, count: SHA256.blockSize - keyBlock.count)
        var inner = SHA256()
        inner.update(keyBlock.map { $0 ^ 0x36 })
        inner.update(message)
        let innerDigest = inner.finalize()
        var outer = SHA256()
        outer.update(keyBlock.map { $0 ^ 0x5c })
        outer.update(innerDigest)
        return outer.finalize()
    }
}
