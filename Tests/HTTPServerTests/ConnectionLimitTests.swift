import HTTPServer
import Testing
import TestSupport

/// Connections cannot be hoarded: at `maxConnections` a new client takes the place of the longest-idle
/// connection, and one address holds at most `maxConnectionsPerPeer`. Clients on 127.0.0.2 are "someone else"
/// (Linux routes all of 127/8 to the loopback interface).
@Suite struct ConnectionLimitTests {
    /// Kept below 20,000 (this machine's hard descriptor limit) counting both ends of every connection; 10,000 runs
    /// by hand against the real host (see `Sources/HTTPServer/README.md`).
    static let crowd = 2_000

    /// Opens `count` connections from `source` that have each had one answer: idle keep-alive connections.
    static func idleCrowd(_ count: Int, port: Int, from source: String = "127.0.0.1") throws -> [RawConnection] {
        try (0..<count).map { _ in
            let c = try RawConnection(port: port, from: source)
            try c.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
            _ = try c.readResponse()
            return c
        }
    }

    /// A new client's status, and its connection, kept open so its slot stays taken.
    static func get(port: Int, from source: String) throws -> (status: Int, connection: RawConnection) {
        let c = try RawConnection(port: port, from: source)
        try c.send("GET /new HTTP/1.1\r\nHost: x\r\n\r\n")
        return (try c.readResponse().status, c)
    }

    @Test func idleConnectionsFromOneAddressDoNotLockOutNewClients() async throws {
        #expect(DescriptorLimit.raiseToHardLimit() >= 2 * Self.crowd + 256)
        try await withServer({
            $0.maxConnections = Self.crowd
            $0.maxConnectionsPerPeer = 0
            // The crowd must outlive a slow machine's test, not time out: only eviction may close its connections.
            $0.keepAliveIdleTimeout = .seconds(600)
            $0.headerTimeout = .seconds(600)
        }) { server, port in
            let crowd = try await offPool { try Self.idleCrowd(Self.crowd, port: port) }
            #expect(server.connectionCount == Self.crowd)
            // Someone else is served in place of the longest-idle connection...
            let other = try await offPool { try Self.get(port: port, from: "127.0.0.2") }
            #expect(other.status == 200)
            #expect(await eventually { crowd[0].isClosedByPeer })
            // ...and so is a new connection from the crowd's own address, in place of the next one.
            let same = try await offPool { try Self.get(port: port, from: "127.0.0.1") }
            #expect(same.status == 200)
            #expect(await eventually { crowd[1].isClosedByPeer })
            #expect(server.connectionCount == Self.crowd)
            // The rest of the crowd is still connected and served.
            #expect(!crowd[2].isClosedByPeer)
            let last = try await offPool { () -> Int in
                try crowd[Self.crowd - 1].send("GET /again HTTP/1.1\r\nHost: x\r\n\r\n")
                return try crowd[Self.crowd - 1].readResponse().status
            }
            #expect(last == 200)
            withExtendedLifetime((other, same)) {}
        }
    }

    @Test func oneAddressHoldsAtMostItsCapByGivingUpItsOwnIdleConnections() async throws {
        try await withServer({
            $0.maxConnectionsPerPeer = 50
            $0.headerTimeout = .seconds(600)  // the silent ones must outlive a slow machine's test, not time out
        }) { server, port in
            // 150 connections that never send a byte: idle too.
            let crowd = try await offPool { try (0..<150).map { _ in try RawConnection(port: port) } }
            #expect(await eventually { server.connectionCount == 50 })
            #expect(await eventually { crowd[0..<100].allSatisfy { $0.isClosedByPeer } })
            #expect(crowd[100...].allSatisfy { !$0.isClosedByPeer })
            #expect(try await offPool { try Self.get(port: port, from: "127.0.0.2").status } == 200)
            let newest = try await offPool { () -> Int in
                try crowd[149].send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                return try crowd[149].readResponse().status
            }
            #expect(newest == 200)
        }
    }

    @Test func anAddressAtItsCapWithNothingIdleGets503AndOthersAreServed() async throws {
        let handler = GatedHandler()
        try await withServer({ $0.maxConnectionsPerPeer = 3 }, handler: handler) { _, port in
            let busy = try await offPool {
                try (0..<3).map { i in
                    let c = try RawConnection(port: port)
                    try c.send("GET /busy\(i) HTTP/1.1\r\nHost: x\r\n\r\n")
                    return c
                }
            }
            #expect(await eventually { handler.arrived == 3 })
            try await offPool { () throws in
                let c = try RawConnection(port: port)
                let refused = try c.readResponse()
                #expect(refused.status == 503)
                #expect(refused.header("Retry-After") == "1")
                #expect(refused.json?.value(atPath: "error")?.stringValue == "too many connections from this address")
                #expect(c.readUntilClosed().0 == .closed)
            }
            let other = try await offPool { () -> RawConnection in
                let c = try RawConnection(port: port, from: "127.0.0.2")
                try c.send("GET /other HTTP/1.1\r\nHost: x\r\n\r\n")
                return c
            }
            #expect(await eventually { handler.arrived == 4 })
            handler.open()
            try await offPool { () throws in
                #expect(try other.readResponse().status == 200)
                for c in busy { #expect(try c.readResponse().status == 200) }
            }
        }
    }
}
