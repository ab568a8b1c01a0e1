/// HMAC (RFC 2104) over any of the SHA functions.
public enum HMAC<Hash: HashFunction> {
    /// The authentication code of `message` under `key`, `Hash.byteCount` bytes long.
    public static func authenticationCode(for message: some Sequence<UInt8>, key: some Sequence<UInt8>) -> [UInt8] {
        var keyBlock = Array(key)
        if keyBlock.count > Hash.blockSize { keyBlock = Hash.hash(keyBlock) }
        keyBlock += [UInt8](repeating: 0, count: Hash.blockSize - keyBlock.count)
        var inner = Hash()
        inner.update(keyBlock.map { $0 ^ 0x36 })
        inner.update(message)
        let innerDigest = inner.finalize()
        var outer = Hash()
        outer.update(keyBlock.map { $0 ^ 0x5c })
        outer.update(innerDigest)
        return outer.finalize()
    }
}

/// HMAC-SHA256, which every platform signature but the manifest's `sha1`/`sha512` rules uses.
public typealias HMACSHA256 = HMAC<SHA256>
