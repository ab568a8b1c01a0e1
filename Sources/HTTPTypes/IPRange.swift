/// An address block in CIDR notation (`10.0.0.0/8`, `::1`, `127.0.0.1`): what a manifest `ip` rule allows, and
/// what `--trusted-proxy` trusts.
public struct IPRange: Sendable, Equatable, CustomStringConvertible {
    public let network: [UInt8]
    public let prefixLength: Int
    public let description: String

    /// Parses `ADDRESS` or `ADDRESS/PREFIX`; nil when malformed.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        let address = String(parts[0])
        // An IPv4-mapped address matches IPv4 peers, as PeerAddress reports them.
        guard let bytes = PeerAddress(literal: address)?.bytes else { return nil }
        let maxPrefix = bytes.count * 8
        var prefix = maxPrefix
        if parts.count == 2 {
            guard let p = Int(parts[1]), (0...maxPrefix).contains(p) else { return nil }
            prefix = p
        }
        self.network = IPRange.masked(bytes, prefix)
        self.prefixLength = prefix
        self.description = text
    }

    /// Whether `peer`'s address lies in the block.
    public func contains(_ peer: PeerAddress) -> Bool {
        peer.bytes.count == network.count && IPRange.masked(peer.bytes, prefixLength) == network
    }

    private static func masked(_ bytes: [UInt8], _ prefix: Int) -> [UInt8] {
        bytes.enumerated().map { index, byte in
            let bits = min(max(prefix - index * 8, 0), 8)
            return bits == 8 ? byte : byte & UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
        }
    }
}
