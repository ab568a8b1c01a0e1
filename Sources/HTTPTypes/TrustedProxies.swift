/// The reverse proxies whose `X-Forwarded-For` the host believes (`--trusted-proxy CIDR`, repeatable). With none,
/// the client of every request is its TCP peer and `X-Forwarded-For` is only a header.
public struct TrustedProxies: Sendable {
    public let ranges: [IPRange]

    public init(_ ranges: [IPRange] = []) { self.ranges = ranges }

    public var isEmpty: Bool { ranges.isEmpty }

    /// Whether `address` is one of the trusted proxies.
    public func contains(_ address: PeerAddress) -> Bool { ranges.contains { $0.contains(address) } }

    /// Who sent a request, as far as the trusted proxies say.
    public enum Client: Sendable, Equatable {
        /// `address` sent it; `proxy` is the trusted peer that reported it, nil when the request came straight from
        /// `address` (an untrusted peer, or a trusted one that sent no `X-Forwarded-For`).
        case address(PeerAddress, proxy: PeerAddress?)
        /// A trusted proxy sent an `X-Forwarded-For` entry that is no address where the host had to read one.
        case malformed(String)
    }

    /// The client of a request that `peer` sent with `forwardedFor` (every `X-Forwarded-For` value, in order).
    /// From an untrusted peer that is the peer. From a trusted one, the list is read from its right end, as
    /// nginx's realip module does with `real_ip_recursive on`: the first address that is not itself a trusted proxy
    /// is the client; when every address is trusted, the leftmost one. Entries left of the client are never read:
    /// anything there is what the client claimed.
    public func client(of peer: PeerAddress, forwardedFor: [String]) -> Client {
        guard contains(peer) else { return .address(peer, proxy: nil) }
        let entries = forwardedFor.flatMap { $0.split(separator: ",") }
            .map { $0.trimmingSpaces }.filter { !$0.isEmpty }
        guard !entries.isEmpty else { return .address(peer, proxy: nil) }
        var client = peer
        for entry in entries.reversed() {
            guard let address = TrustedProxies.address(in: entry) else {
                return .malformed("X-Forwarded-For from trusted proxy \(peer.host) holds '\(entry.prefix(64))', not an address")
            }
            client = address
            if !contains(address) { break }
        }
        return .address(client, proxy: peer)
    }

    /// An entry's address: `192.0.2.7`, `192.0.2.7:443`, `2001:db8::1`, `[2001:db8::1]` or `[2001:db8::1]:443`.
    static func address(in entry: String) -> PeerAddress? {
        if entry.hasPrefix("["), let close = entry.firstIndex(of: "]") {
            let rest = entry[entry.index(after: close)...]
            guard rest.isEmpty || (rest.hasPrefix(":") && rest.dropFirst().allSatisfy(\.isNumber)) else { return nil }
            return PeerAddress(literal: String(entry[entry.index(after: entry.startIndex)..<close]))
        }
        let colons = entry.filter { $0 == ":" }.count
        if colons == 1, let colon = entry.firstIndex(of: ":") {
            guard entry[entry.index(after: colon)...].allSatisfy(\.isNumber) else { return nil }
            return PeerAddress(literal: String(entry[..<colon]))
        }
        return PeerAddress(literal: entry)
    }
}

extension Substring {
    fileprivate var trimmingSpaces: String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
