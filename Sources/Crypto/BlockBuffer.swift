/// The Merkle–Damgård framing the SHA functions share: input gathered into whole blocks for the compression
/// function, and at the end the padding (`0x80`, zeros, the bit length big-endian in `lengthFieldBytes`).
struct BlockBuffer: Sendable {
    let blockSize: Int
    /// 8 for SHA-1 and SHA-256, 16 for SHA-512.
    let lengthFieldBytes: Int
    private var pending: [UInt8] = []
    private var totalLength: UInt64 = 0

    init(blockSize: Int, lengthFieldBytes: Int) {
        self.blockSize = blockSize
        self.lengthFieldBytes = lengthFieldBytes
        pending.reserveCapacity(blockSize)
    }

    /// Takes more input; returns the whole blocks now ready (a multiple of `blockSize` bytes, maybe none).
    mutating func append(_ data: some Sequence<UInt8>) -> [UInt8] {
        let before = pending.count
        pending.append(contentsOf: data)
        totalLength &+= UInt64(pending.count - before)
        let whole = pending.count - pending.count % blockSize
        guard whole > 0 else { return [] }
        let blocks = Array(pending[..<whole])
        pending.removeFirst(whole)
        return blocks
    }

    /// The last blocks: what is pending, padded. The buffer is empty afterwards.
    mutating func finish() -> [UInt8] {
        var tail = pending
        tail.append(0x80)
        while tail.count % blockSize != blockSize - lengthFieldBytes { tail.append(0) }
        tail += [UInt8](repeating: 0, count: lengthFieldBytes - 8)
        if lengthFieldBytes > 8 { tail[tail.count - 1] = UInt8(truncatingIfNeeded: totalLength >> 61) }
        let bitLength = totalLength &<< 3
        for shift in stride(from: 56, through: 0, by: -8) { tail.append(UInt8(truncatingIfNeeded: bitLength >> UInt64(shift))) }
        pending.removeAll()
        return tail
    }

    /// Calls `compress` with each block of `blocks`.
    static func forEachBlock(of blocks: [UInt8], size: Int, _ compress: (UnsafePointer<UInt8>) -> Void) {
        blocks.withUnsafeBufferPointer { pointer in
            for start in stride(from: 0, to: blocks.count, by: size) { compress(pointer.baseAddress! + start) }
        }
    }
}
