import Foundation
import Glibc
import HTTPServer
import Testing

/// Timeouts are configured to about a second so these run quickly; the sweep runs every 250 ms.
@Suite struct TimeoutTests {
    static func elapsed(since start: ContinuousClock.Instant) -> Double {
        let d = ContinuousClock.now - start
        return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    @Test func slowlorisIsDroppedAtTheHeaderDeadline() async throws {
        try await withServer({ $0.headerTimeout = .seconds(1) }) { _, port in
            let (seconds, sent, answer) = try await offPool { () -> (Double, Int, String) in
                let c = try RawConnection(port: port)
                let start = ContinuousClock.now
                c.setTimeout(0.1)
                var sent = 0
                let trickle = Array("GET / HTTP/1.1\r\nHost: x\r\nX-Slow: \(String(repeating: "z", count: 1000))".utf8)
                // One byte every ~100 ms: each byte arrives well within any per-byte timer.
                while sent < trickle.count, Self.elapsed(since: start) < 5 {
                    if (try? c.send([trickle[sent]])) == nil { break }
                    sent += 1
                    let outcome = c.fill()
                    if outcome == .closed || outcome == .reset { break }
                }
                return (Self.elapsed(since: start), sent, String(decoding: c.received, as: UTF8.self))
            }
            #expect(seconds >= 0.9 && seconds < 3.0, "dropped after \(seconds) s")
            #expect(sent >= 5)
            #expect(answer.hasPrefix("HTTP/1.1 408 "))
        }
    }

    @Test func silentConnectionIsClosedAtTheHeaderDeadline() async throws {
        try await withServer({ $0.headerTimeout = .seconds(1) }) { _, port in
            let (outcome, seconds) = try await offPool { () -> (RawConnection.ReadOutcome, Double) in
                let c = try RawConnection(port: port)
                let start = ContinuousClock.now
                let (outcome, _) = c.readUntilClosed()
                return (outcome, Self.elapsed(since: start))
            }
            #expect(outcome == .closed)
            #expect(seconds >= 0.9 && seconds < 3.0, "closed after \(seconds) s")
        }
    }

    @Test func idleKeepAliveConnectionIsClosed() async throws {
        try await withServer({ $0.keepAliveIdleTimeout = .seconds(1) }) { _, port in
            let (outcome, seconds) = try await offPool { () -> (RawConnection.ReadOutcome, Double) in
                let c = try RawConnection(port: port)
                try c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                _ = try c.readResponse()
                let start = ContinuousClock.now
                let (outcome, rest) = c.readUntilClosed()
                #expect(rest.isEmpty)
                return (outcome, Self.elapsed(since: start))
            }
            #expect(outcome == .closed)
            #expect(seconds >= 0.9 && seconds < 3.0, "closed after \(seconds) s")
        }
    }

    @Test func stalledBodyGets408() async throws {
        try await withServer({ $0.bodyProgressTimeout = .seconds(1) }) { _, port in
            let (response, seconds) = try await offPool { () -> (RawResponse, Double) in
                let c = try RawConnection(port: port)
                try c.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc")
                let start = ContinuousClock.now
                let r = try c.readResponse()
                #expect(c.readUntilClosed().0 == .closed)
                return (r, Self.elapsed(since: start))
            }
            #expect(response.status == 408)
            #expect(seconds >= 0.9 && seconds < 3.0, "answered after \(seconds) s")
        }
    }

    @Test func bodyProgressResetsTheBodyTimer() async throws {
        try await withServer({ $0.bodyProgressTimeout = .milliseconds(600) }) { _, port in
            let response = try await offPool { () -> RawResponse in
                let c = try RawConnection(port: port)
                try c.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\n\r\n")
                for byte in "abcdef".utf8 {
                    usleep(300_000)
                    try c.send([byte])
                }
                return try c.readResponse()
            }
            #expect(response.status == 200)
            #expect(response.json?.value(atPath: "body")?.stringValue == "abcdef")
        }
    }

    @Test func clientThatDoesNotReadHitsTheWriteTimeout() async throws {
        try await withServer({ $0.writeTimeout = .seconds(1) }) { _, port in
            let (received, outcome) = try await offPool { () -> (Int, RawConnection.ReadOutcome) in
                let shrink: Int32 = 4096
                let c = try RawConnection(port: port)
                var size = shrink
                setsockopt(c.fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
                try c.send("GET /huge HTTP/1.1\r\nHost: x\r\n\r\n")
                usleep(2_500_000)
                var total = 0
                c.setTimeout(2)
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
