import Glibc
import HTTPServer
import Testing
import TestSupport

/// Clients that misbehave at the socket level; the server must shrug them off and keep serving.
@Suite struct AbuseTests {
    /// Closes with a reset instead of a FIN.
    static func reset(_ c: RawConnection) {
        var option = linger(l_onoff: 1, l_linger: 0)
        setsockopt(c.fd, SOL_SOCKET, SO_LINGER, &option, socklen_t(MemoryLayout<linger>.size))
        c.close()
    }

    @Test func resetsInEveryStateAreHarmless() async throws {
        try await withServer({ $0.maxConnections = 64 }) { _, port in
            try await offPool {
                for round in 0..<100 {
                    let c = try RawConnection(port: port)
                    switch round % 5 {
                    case 0: break
                    case 1: try c.send("GET /partial HTT")
                    case 2: try c.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nhalf")
                    case 3: try c.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
                    default: try c.send(String(repeating: "GET / HTTP/1.1\r\nHost: x\r\n\r\n", count: 50))
                    }
                    Self.reset(c)
                }
            }
            // Slots come back (the cap is 64, we opened 100) once the server has seen the resets, and the server still
            // answers: ten connections at once are all served.
            #expect(await eventually { (try? await offPool { Self.allServed(port: port, connections: 10) }) == true })
        }
    }

    /// Whether `connections` connections open at the same time all get a 200.
    static func allServed(port: Int, connections: Int) -> Bool {
        guard let open = try? (0..<connections).map({ _ in try RawConnection(port: port) }) else { return false }
        for c in open { try? c.send("GET /ok HTTP/1.1\r\nHost: x\r\n\r\n") }
        return open.allSatisfy { (try? $0.readResponse().status) == 200 }
    }

    @Test func garbageFromManyClientsAtOnce() async throws {
        try await withServer { _, port in
            try await offPool {
                var generator = SystemRandomNumberGenerator()
                for _ in 0..<50 {
                    let c = try RawConnection(port: port)
                    let garbage = (0..<Int.random(in: 1...2000, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
                    try? c.send(garbage)
                    c.setTimeout(0.05)
                    _ = c.fill()
                }
                let c = try RawConnection(port: port)
                try c.send("GET /still-here HTTP/1.1\r\nHost: x\r\n\r\n")
                #expect(try c.readResponse().json?.value(atPath: "path")?.stringValue == "/still-here")
            }
        }
    }
}
