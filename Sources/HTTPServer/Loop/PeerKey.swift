/// The client address connections are counted under for `maxConnectionsPerPeer`: an IPv4 address (also when it
/// arrives IPv4-mapped on a dual-stack socket), or the /64 prefix of an IPv6 one, since one IPv6 host usually
/// holds a whole /64.
struct PeerKey: Hashable, Sendable {
    let prefix: UInt64
    let suffix: UInt64

    /// `bytes`: 4 (IPv4) or 16 (IPv6) in network order, as `PeerAddress.bytes` holds them.
    init(addressBytes bytes: [UInt8]) {
        if bytes.count == 4 {
            prefix = 0
            suffix = 0xFFFF_0000_0000 | UInt64(bytes[0]) << 24 | UInt64(bytes[1]) << 16 | UInt64(bytes[2]) << 8
                | UInt64(bytes[3])
        } else {
            prefix = bytes.prefix(8).reduce(0) { $0 << 8 | UInt64($1) }
            suffix = 0
        }
    }
}
