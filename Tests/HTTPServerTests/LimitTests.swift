import HTTPServer
import Testing
import TestSupport

/// Every limit answers with the right status and a JSON error, then closes.
@Suite struct LimitTests {
    /// Sends `request` and expects one JSON error response with `status`, followed by the server closing.
    static func expectRefused(
        _ request: String, status: Int, port: Int, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let c = try RawConnection(port: port)
        try c.send(request)
        let r = try c.readResponse()
        #expect(r.status == status, "\(r.bodyText)", sourceLocation: sourceLocation)
        #expect(r.header("Content-Type") == "application/json", sourceLocation: sourceLocation)
        #expect(r.json?.value(atPath: "error")?.stringValue?.isEmpty == false, sourceLocation: sourceLocation)
        #expect(r.header("Connection") == "close", sourceLocation: sourceLocation)
        #expect(c.readUntilClosed().0 == .closed, sourceLocation: sourceLocation)
    }

    @Test func requestLineOver8KiBIs414() async throws {
        try await withServer { _, port in
            try await offPool {
                let long = "/" + String(repeating: "a", count: 8 * 1024)
                try Self.expectRefused("GET \(long) HTTP/1.1\r\nHost: x\r\n\r\n", status: 414, port: port)
                // Without ever sending CRLF: refused as soon as the line passes the limit.
                try Self.expectRefused("GET \(long)\(long)", status: 414, port: port)
                // Just under the limit is fine.
                let c = try RawConnection(port: port)
                let fits = "/" + String(repeating: "a", count: 8 * 1024 - "GET  HTTP/1.1".count - 1)
                try c.send("GET \(fits) HTTP/1.1\r\nHost: x\r\n\r\n")
                #expect(try c.readResponse().status == 200)
            }
        }
    }

    @Test func headerBlockOver64KiBIs431() async throws {
        try await withServer { _, port in
            try await offPool {
                let big = String(repeating: "v", count: 40 * 1024)
                try Self.expectRefused(
                    "GET / HTTP/1.1\r\nHost: x\r\nA: \(big)\r\nB: \(big)\r\n\r\n", status: 431, port: port)
            }
        }
    }

    @Test func moreThan100HeaderFieldsIs431() async throws {
        try await withServer { _, port in
            try await offPool {
                let fields = (0..<100).map { "F\($0): x\r\n" }.joined()
                try Self.expectRefused("GET / HTTP/1.1\r\nHost: x\r\n\(fields)\r\n", status: 431, port: port)
                let c = try RawConnection(port: port)
                let ninetyNine = (0..<99).map { "F\($0): x\r\n" }.joined()
                try c.send("GET / HTTP/1.1\r\nHost: x\r\n\(ninetyNine)\r\n")
                #expect(try c.readResponse().status == 200)
            }
        }
    }

    @Test func declaredBodyOverLimitIs413BeforeTheBodyIsSent() async throws {
        try await withServer({ $0.defaultBodyLimit = 1000 }) { _, port in
            try await offPool {
                // Only the head is sent: the 413 must come without the body.
                try Self.expectRefused("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1001\r\n\r\n", status: 413, port: port)
                // The handler's per-route limit wins over the default.
                try Self.expectRefused(
                    "POST /small HTTP/1.1\r\nHost: x\r\nContent-Length: 17\r\n\r\n", status: 413, port: port)
                let c = try RawConnection(port: port)
                try c.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n" + String(repeating: "b", count: 1000))
                #expect(try c.readResponse().json?.value(atPath: "bodyLength")?.intValue == 1000)
            }
        }
    }

    @Test func defaultBodyLimitIsOneMiB() async throws {
        try await withServer { _, port in
            try await offPool {
                try Self.expectRefused(
                    "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: \(1024 * 1024 + 1)\r\n\r\n", status: 413, port: port)
            }
        }
    }

    @Test func chunkedBodyOverLimitIs413WhileStreaming() async throws {
        try await withServer({ $0.defaultBodyLimit = 100 }) { _, port in
            try await offPool {
                let c = try RawConnection(port: port)
                try c.send("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
                try c.send("32\r\n" + String(repeating: "x", count: 50) + "\r\n")
                try c.send("32\r\n" + String(repeating: "x", count: 50) + "\r\n")
                // 100 bytes so far: at the limit, still reading. The next chunk passes it.
                try c.send("1\r\n")
                let r = try c.readResponse()
                #expect(r.status == 413)
                #expect(c.readUntilClosed().0 == .closed)
            }
        }
    }

    @Test(arguments: [
        ("both framings", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"),
        ("negative length", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n"),
        ("non-numeric length", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1a\r\n\r\n"),
        ("conflicting lengths", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab"),
        ("huge length", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999\r\n\r\n"),
        ("unsupported coding", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n"),
        ("chunked not last", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n"),
        ("bad chunk size", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"),
        ("chunk without CRLF", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabX\r\n"),
        ("overflowing chunk size", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n"),
        ("missing host", "GET / HTTP/1.1\r\n\r\n"),
        ("two hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"),
        ("space before colon", "GET / HTTP/1.1\r\nHost : x\r\n\r\n"),
        ("line folding", "GET / HTTP/1.1\r\nHost: x\r\nA: b\r\n  c\r\n\r\n"),
        ("bare LF", "GET / HTTP/1.1\nHost: x\n\n"),
        ("control byte in value", "GET / HTTP/1.1\r\nHost: x\r\nA: b\u{01}c\r\n\r\n"),
        ("garbage request line", "HELLO\r\n\r\n"),
        ("bad version", "GET / HTTX/1.1\r\nHost: x\r\n\r\n"),
        ("relative target", "GET foo HTTP/1.1\r\nHost: x\r\n\r\n"),
        ("bad percent escape", "GET /a%zz HTTP/1.1\r\nHost: x\r\n\r\n"),
    ])
    func malformedFramingIs400(_ name: String, _ request: String) async throws {
        try await withServer { _, port in
            try await offPool { try Self.expectRefused(request, status: 400, port: port) }
        }
    }

    @Test func unknownMethodIs501() async throws {
        try await withServer { _, port in
            try await offPool {
                try Self.expectRefused("BREW /pot HTTP/1.1\r\nHost: x\r\n\r\n", status: 501, port: port)
                try Self.expectRefused("CONNECT a:443 HTTP/1.1\r\nHost: x\r\n\r\n", status: 501, port: port)
            }
        }
    }

    @Test func otherMajorVersionIs505() async throws {
        try await withServer { _, port in
            try await offPool {
                try Self.expectRefused("GET / HTTP/2.0\r\nHost: x\r\n\r\n", status: 505, port: port)
            }
        }
    }

    @Test func limitsAreConfigurable() async throws {
        try await withServer({
            $0.maxRequestLineBytes = 64
            $0.maxHeaderBytes = 256
            $0.maxHeaderCount = 3
        }) { _, port in
            try await offPool {
                try Self.expectRefused(
                    "GET /\(String(repeating: "a", count: 60)) HTTP/1.1\r\nHost: x\r\n\r\n", status: 414, port: port)
                try Self.expectRefused(
                    "GET / HTTP/1.1\r\nHost: x\r\nA: \(String(repeating: "a", count: 300))\r\n\r\n", status: 431, port: port)
                try Self.expectRefused("GET / HTTP/1.1\r\nHost: x\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", status: 431, port: port)
                let c = try RawConnection(port: port)
                try c.send("GET / HTTP/1.1\r\nHost: x\r\nA: 1\r\nB: 2\r\n\r\n")
                #expect(try c.readResponse().status == 200)
            }
        }
    }

    /// At the cap with every connection in a request, nothing can make room: 503 with `Retry-After`, then close.
    /// (Idle connections make room instead: `ConnectionLimitTests`.)
    @Test func connectionsOverTheCapWithNoneIdleGet503() async throws {
        let handler = GatedHandler()
        try await withServer({ $0.maxConnections = 2 }, handler: handler) { _, port in
            let (a, b) = try await offPool { () -> (RawConnection, RawConnection) in
                let a = try RawConnection(port: port)
                let b = try RawConnection(port: port)
                try a.send("GET /a HTTP/1.1\r\nHost: x\r\n\r\n")
                try b.send("GET /b HTTP/1.1\r\nHost: x\r\n\r\n")
                return (a, b)
            }
            #expect(await eventually { handler.arrived == 2 })
            try await offPool { () throws in
                let c = try RawConnection(port: port)
                let refused = try c.readResponse()
                #expect(refused.status == 503)
                #expect(refused.header("Retry-After") == "1")
                #expect(refused.json?.value(atPath: "error")?.stringValue == "server at connection limit")
                #expect(c.readUntilClosed().0 == .closed)
            }
            handler.open()
            try await offPool { () throws in
                #expect(try a.readResponse().status == 200)
                #expect(try b.readResponse().status == 200)
            }
        }
    }
}
