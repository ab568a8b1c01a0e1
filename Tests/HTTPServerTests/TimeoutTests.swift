import Foundation
import Glibc
import HTTPServer
import Testing
import TestSupport

/// Timeouts are configured to about a second so these run quickly; the sweep runs every 250 ms. What they check is
/// that a timeout ends the connection, and that it does not do so early: a lower bound on the time, measured from
/// before the event that starts the server's timer, which a busy machine can only make longer.
@Suite struct TimeoutTests {
    static func elapsed(since start: ContinuousClock.Instant) -> Double {
        let d = ContinuousClock.now - start
        return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    @Test func slowlorisIsDroppedAtTheHeaderDeadline() async throws {
        try await withServer({ $0.headerTimeout = .seconds(1) }) { _, port in
            let (seconds, answer) = try await offPool { () -> (Double, String) in
                let start = ContinuousClock.now
                let c = try RawConnection(port: port)
                c.setTimeout(0.1)
                var sent = 0
                // One byte every ~100 ms: each byte arrives well within any per-byte timer. The whole head takes
                // 30 s, which only a server that never drops it lets the client finish.
                let trickle = Array("GET / HTTP/1.1\r\nHost: x\r\nX-Slow: \(String(repeating: "z", count: 300))".utf8)
                while sent < trickle.count {
                    if (try? c.send([trickle[sent]])) == nil { break }
                    sent += 1
                    let outcome = c.fill()
                    if outcome == .closed || outcome == .reset { break }
                }
                return (Self.elapsed(since: start), String(decoding: c.received, as: UTF8.self))
            }
            #expect(seconds >= 0.9, "dropped after \(seconds) s")
            #expect(answer.hasPrefix("HTTP/1.1 408 "))
        }
    }

    @Test func silentConnectionIsClosedAtTheHeaderDeadline() async throws {
        try await withServer({ $0.headerTimeout = .seconds(1) }) { _, port in
            let (outcome, seconds) = try await offPool { () -> (RawConnection.ReadOutcome, Double) in
                let start = ContinuousClock.now
                let c = try RawConnection(port: port)
                let (outcome, _) = c.readUntilClosed()
                return (outcome, Self.elapsed(since: start))
            }
            #expect(outcome == .closed)
            #expect(seconds >= 0.9, "closed after \(seconds) s")
        }
    }

    @Test func idleKeepAliveConnectionIsClosed() async throws {
        try await withServer({ $0.keepAliveIdleTimeout = .seconds(1) }) { _, port in
            let (outcome, seconds) = try await offPool { () -> (RawConnection.ReadOutcome, Double) in
                let c = try RawConnection(port: port)
                let start = ContinuousClock.now
                try c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                _ = try c.readResponse()
                let (outcome, rest) = c.readUntilClosed()
                #expect(rest.isEmpty)
                return (outcome, Self.elapsed(since: start))
            }
            #expect(outcome == .closed)
            #expect(seconds >= 0.9, "closed after \(seconds) s")
        }
    }

    @Test func stalledBodyGets408() async throws {
        try await withServer({ $0.bodyProgressTimeout = .seconds(1) }) { _, port in
            let (response, seconds) = try await offPool { () -> (RawResponse, Double) in
                let c = try RawConnection(port: port)
                let start = ContinuousClock.now
                try c.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc")
                let r = try c.readResponse()
                #expect(c.readUntilClosed().0 == .closed)
                return (r, Self.elapsed(since: start))
            }
            #expect(response.status == 408)
            #expect(seconds >= 0.9, "answered after \(seconds) s")
        }
    }

    /// Headers, then a byte every 100 ms: every pause is far inside `bodyProgressTimeout`, but the body comes slower
    /// than `minBodyRate`, so `bodyTimeout` (extended 1 ms a byte) ends it. Sent as is, it would take 100 s.
    @Test func trickledBodyGets408() async throws {
        try await withServer({
            $0.bodyTimeout = .seconds(1)
            $0.minBodyRate = 1000
        }) { _, port in
            let response = try await offPool { () -> RawResponse? in
                let c = try RawConnection(port: port)
                try c.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n")
                c.setTimeout(0.1)
                for _ in 0..<1000 {
                    guard (try? c.send("z")) != nil else { break }
                    let outcome = c.fill()
                    if outcome != .timedOut { break }
                }
                return RawResponse.parse(c.received)?.0
            }
            #expect(response?.status == 408)
            #expect(response?.json?.value(atPath: "error")?.stringValue == "request timeout")
        }
    }

    @Test func bodyProgressResetsTheBodyTimer() async throws {
        try await withServer({ $0.bodyProgressTimeout = .seconds(2) }) { _, port in
            let response = try await offPool { () -> RawResponse in
                let c = try RawConnection(port: port)
                // 60 bytes 50 ms apart: 3 s in all, longer than the timeout, with every pause far shorter than it.
                let body = String(repeating: "abcdef", count: 10)
                try c.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.utf8.count)\r\n\r\n")
                for byte in body.utf8 {
                    usleep(50_000)
                    try c.send([byte])
                }
                return try c.readResponse()
            }
            #expect(response.status == 200)
            #expect(response.json?.value(atPath: "body")?.stringValue == String(repeating: "abcdef", count: 10))
        }
    }

    @Test func clientThatDoesNotReadHitsTheWriteTimeout() async throws {
        try await withServer({ $0.writeTimeout = .seconds(1) }) { _, port in
            let c = try await offPool { () -> RawConnection in
                let shrink: Int32 = 4096
                let c = try RawConnection(port: port)
                var size = shrink
                setsockopt(c.fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
                try c.send("GET /huge HTTP/1.1\r\nHost: x\r\n\r\n")
                return c
            }
            // Nothing is read until the server has given up on the connection.
            #expect(await eventually { c.isClosedByPeer }, "the server kept writing to a client that does not read")
            let (received, outcome) = try await offPool { () -> (Int, RawConnection.ReadOutcome) in
                var total = 0
                while true {
                    let outcome = c.fill()
                    total += c.received.count
                    c.discardBuffer()
                    if outcome != .data { return (total, outcome) }
                }
            }
            #expect(received < 48 * 1024 * 1024, "received \(received)")
            #expect(outcome == .closed || outcome == .reset)
        }
    }
}
