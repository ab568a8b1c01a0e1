import HTTPServer
import Testing

@Suite struct ChunkedTests {
    @Test func chunkedBodyWithExtensionsAndTrailers() async throws {
        try await withServer { _, port in
            try await offPool {
                let c = try RawConnection(port: port)
                try c.send(
                    "POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                        + "5;name=value;flag\r\nhello\r\n" + "1 ; spaced=\"quoted\"\r\n \r\n" + "A\r\n0123456789\r\n"
                        + "0;last\r\nX-Checksum: abc\r\nX-Other: 1\r\n\r\n"
                        + "GET /next HTTP/1.1\r\nHost: x\r\n\r\n")
                let r = try c.readResponse()
                #expect(r.status == 200)
                #expect(r.json?.value(atPath: "body")?.stringValue == "hello 0123456789")
                #expect(try c.readResponse().json?.value(atPath: "path")?.stringValue == "/next")
            }
        }
    }

    @Test func chunkedBodyArrivingByteByByte() async throws {
        try await withServer { _, port in
            try await offPool {
                let c = try RawConnection(port: port)
                let request = "POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;e\r\nde\r\n0\r\nT: v\r\n\r\n"
                for byte in request.utf8 {
                    try c.send([byte])
                }
                #expect(try c.readResponse().json?.value(atPath: "body")?.stringValue == "abcde")
            }
        }
    }

    @Test func trailersOverTheHeaderLimitAre431() async throws {
        try await withServer({ $0.maxHeaderBytes = 128 }) { _, port in
            try await offPool {
                try LimitTests.expectRefused(
                    "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nT: \(String(repeating: "t", count: 200))\r\n\r\n",
                    status: 431, port: port)
            }
        }
    }
}
