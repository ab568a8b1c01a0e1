import Glibc
@testable import HTTPServer
import Testing

/// Address parsing for the bind address (no sockets: tests only ever connect to 127.0.0.1).
@Suite struct SocketAddressTests {
    @Test func parsesIPv4AndIPv6Literals() throws {
        let v4 = try #require(SocketAddress(host: "0.0.0.0", port: 8080))
        #expect(v4.family == AF_INET)
        #expect(v4.port == 8080)
        let v6 = try #require(SocketAddress(host: "::", port: 443))
        #expect(v6.family == AF_INET6)
        #expect(v6.port == 443)
        let loop6 = try #require(SocketAddress(host: "::1", port: 1))
        #expect(loop6.peerAddress.isLoopback)
        #expect(loop6.peerAddress.description == "[0:0:0:0:0:0:0:1]:1")
    }

    @Test(arguments: ["localhost", "", "1.2.3", "::g", "127.0.0.1:80"])
    func rejectsNonLiterals(_ host: String) {
        #expect(SocketAddress(host: host, port: 80) == nil)
    }

    @Test func rejectsBadPorts() {
        #expect(SocketAddress(host: "127.0.0.1", port: -1) == nil)
        #expect(SocketAddress(host: "127.0.0.1", port: 65536) == nil)
    }

    @Test func handlersSeeTheLoopbackPeer() async throws {
        struct PeerEcho: HTTPHandler {
            func handle(_ request: HTTPRequest) async throws -> HTTPResponse {
                HTTPResponse(contentType: "text/plain", body: "\(request.peer.host) \(request.peer.isLoopback)")
            }
        }
        try await withServer(handler: PeerEcho()) { _, port in
            try await offPool {
                let c = try RawConnection(port: port)
                try c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                #expect(try c.readResponse().bodyText == "127.0.0.1 true")
            }
        }
    }
}
