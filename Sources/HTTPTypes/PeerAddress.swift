import Glibc

/// The address of the connected client.
public struct PeerAddress: Hashable, Sendable, CustomStringConvertible {
    /// The raw address: 4 bytes for IPv4, 16 for IPv6 (an IPv4-mapped IPv6 address is reported as IPv4).
    public let bytes: [UInt8]
    public let port: Int

    public init(bytes: [UInt8], port: Int) {
        if bytes.count == 16, bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xFF, bytes[11] == 0xFF {
            self.bytes = Array(bytes[12..<16])
        } else {
            self.bytes = bytes
        }
        self.port = port
    }

    /// Parses an address literal (`192.0.2.7`, `2001:db8::1`), with port 0; nil when it is not one.
    public init?(literal text: String, port: Int = 0) {
        if text.contains(":") {
            var raw = in6_addr()
            guard inet_pton(AF_INET6, text, &raw) == 1 else { return nil }
            self.init(bytes: withUnsafeBytes(of: &raw) { Array($0) }, port: port)
        } else {
            var raw = in_addr()
            guard inet_pton(AF_INET, text, &raw) == 1 else { return nil }
            self.init(bytes: withUnsafeBytes(of: &raw) { Array($0) }, port: port)
        }
    }

    /// Whether the peer is on this machine: 127.0.0.0/8 or ::1.
    public var isLoopback: Bool {
        if bytes.count == 4 { return bytes[0] == 127 }
        return bytes.count == 16 && bytes[0..<15].allSatisfy { $0 == 0 } && bytes[15] == 1
    }

    /// The address in text form: dotted quad, or full IPv6 hex groups.
    public var host: String {
        if bytes.count == 4 { return bytes.map(String.init).joined(separator: ".") }
        var groups: [String] = []
        for i in stride(from: 0, to: bytes.count, by: 2) {
            groups.append(String(UInt16(bytes[i]) << 8 | UInt16(bytes[i + 1]), radix: 16))
        }
        return groups.joined(separator: ":")
    }

    public var description: String { bytes.count == 16 ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
