import Glibc

/// An IPv4 or IPv6 socket address, converted to and from the C structures in one place.
struct SocketAddress: CustomStringConvertible {
    private var storage: sockaddr_storage

    init(storage: sockaddr_storage) { self.storage = storage }

    /// Parses an IPv4 or IPv6 literal; `nil` when `host` is neither.
    init?(host: String, port: Int) {
        guard (0...65535).contains(port) else { return nil }
        var storage = sockaddr_storage()
        var ok = false
        withUnsafeMutablePointer(to: &storage) { raw in
            raw.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { v4 in
                if inet_pton(AF_INET, host, &v4.pointee.sin_addr) == 1 {
                    v4.pointee.sin_family = sa_family_t(AF_INET)
                    v4.pointee.sin_port = in_port_t(UInt16(port).bigEndian)
                    ok = true
                }
            }
            if ok { return }
            raw.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { v6 in
                if inet_pton(AF_INET6, host, &v6.pointee.sin6_addr) == 1 {
                    v6.pointee.sin6_family = sa_family_t(AF_INET6)
                    v6.pointee.sin6_port = in_port_t(UInt16(port).bigEndian)
                    ok = true
                }
            }
        }
        guard ok else { return nil }
        self.storage = storage
    }

    var family: Int32 { Int32(storage.ss_family) }

    var port: Int {
        var copy = storage
        return withUnsafePointer(to: &copy) { raw in
            if family == AF_INET6 {
                return raw.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin6_port)) }
            }
            return raw.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin_port)) }
        }
    }

    /// The address as the public `PeerAddress`.
    var peerAddress: PeerAddress {
        var copy = storage
        let bytes: [UInt8] = withUnsafePointer(to: &copy) { raw in
            if family == AF_INET6 {
                return raw.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) {
                    withUnsafeBytes(of: $0.pointee.sin6_addr) { Array($0) }
                }
            }
            return raw.withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
                withUnsafeBytes(of: $0.pointee.sin_addr) { Array($0) }
            }
        }
        return PeerAddress(bytes: bytes, port: port)
    }

    func withSockAddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        var copy = storage
        let length = family == AF_INET6 ? MemoryLayout<sockaddr_in6>.size : MemoryLayout<sockaddr_in>.size
        return withUnsafePointer(to: &copy) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(length)) }
        }
    }

    var description: String { peerAddress.description }
}
