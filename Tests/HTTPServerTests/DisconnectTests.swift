import HTTPServer
import Testing
import TestSupport

/// A client that goes away frees its slot at once, whatever the request was doing, and a handler running for it
/// is cancelled. The timeouts are an hour here, so only noticing the disconnect can free anything in time.
@Suite struct DisconnectTests {
    static func patient(_ configuration: inout HTTPServerConfiguration) {
        configuration.headerTimeout = .seconds(3600)
        configuration.bodyProgressTimeout = .seconds(3600)
        configuration.bodyTimeout = .seconds(3600)
    }

    @Test(arguments: [false, true])
    func aClientLeavingMidRequestFreesItsSlot(reset: Bool) async throws {
        try await withServer(Self.patient) { server, port in
            try await offPool {
                for round in 0..<60 {
                    let c = try RawConnection(port: port)
                    switch round % 3 {
                    case 0: try c.send("GET /partial HTTP/1.1\r\nHost: x\r\n")
                    case 1: try c.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nhalf")
                    default: try c.send("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab")
                    }
                    // Bytes and the end of the connection arrive together, often in one wakeup of the server.
                    if reset { c.reset() } else { c.close() }
                }
            }
            #expect(await eventually { server.connectionCount == 0 })
        }
    }

    @Test(arguments: [false, true])
    func aClientLeavingWhileItsHandlerRunsCancelsTheHandler(reset: Bool) async throws {
        let probe = CancellationProbe()
        try await withServer(Self.patient, handler: probe) { server, port in
            let clients = try await offPool {
                try (0..<10).map { i in
                    let c = try RawConnection(port: port)
                    try c.send("POST /wait\(i) HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi")
                    return c
                }
            }
            #expect(await eventually { probe.started == 10 })
            for c in clients {
                if reset { c.reset() } else { c.close() }
            }
            #expect(await eventually { probe.cancelled == 10 })
            #expect(await eventually { server.connectionCount == 0 })
        }
    }

    @Test func aRequestWhoseClientLeftBeforeItsHandlerStartedIsNotRun() async throws {
        // A client that half-closes right after its request is gone as far as the server is concerned (as with
        // nginx and Go's net/http): the request is dropped, or its handler cancelled if it had started.
        let probe = CancellationProbe()
        try await withServer(Self.patient, handler: probe) { server, port in
            let halfClosed = try await offPool {
                try (0..<20).map { _ in
                    let c = try RawConnection(port: port)
                    try c.send("GET /never HTTP/1.1\r\nHost: x\r\n\r\n")
                    c.shutdownWrite()
                    return c
                }
            }
            #expect(await eventually { server.connectionCount == 0 })
            #expect(await eventually { probe.started == probe.cancelled })
            #expect(halfClosed.allSatisfy { $0.isClosedByPeer })
        }
    }
}
