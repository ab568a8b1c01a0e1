import Foundation
import HTTPServer
import Testing

@Suite struct ContinueTests {
    @Test func sends100BeforeReadingTheBody() async throws {
        try await withServer { _, port in
            try await offPool {
                let c = try RawConnection(port: port)
                try c.send("POST /e HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n")
                let interim = try c.readResponse()
                #expect(interim.status == 100)
                try c.send("body")
                let r = try c.readResponse()
                #expect(r.status == 200)
                #expect(r.json?.value(atPath: "body")?.stringValue == "body")
            }
        }
    }

    @Test func answers413InsteadOf100WhenTooLarge() async throws {
        try await withServer({ $0.defaultBodyLimit = 10 }) { _, port in
            try await offPool {
                try LimitTests.expectRefused(
                    "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\nExpect: 100-continue\r\n\r\n", status: 413,
                    port: port)
            }
        }
    }

    @Test func otherExpectationsGet417() async throws {
        try await withServer { _, port in
            try await offPool {
                try LimitTests.expectRefused(
                    "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nExpect: something-else\r\n\r\n", status: 417,
                    port: port)
            }
        }
    }

    @Test func curlSendsLargeBodyWithExpectContinue() async throws {
        try await withServer({ $0.defaultBodyLimit = 4 * 1024 * 1024 }) { _, port in
            try await offPool {
                // As curl sends it for bodies over 1 KiB (older curl does so itself; ask for it explicitly).
                let small = try Curl.run([
                    "-sS", "-v", "-H", "Expect: 100-continue", "--data-binary", String(repeating: "k", count: 2048),
                    "http://127.0.0.1:\(port)/curl",
                ])
                #expect(small.stderr.contains("HTTP/1.1 100 Continue"))
                #expect(small.stdout.contains(#""bodyLength":2048"#))
                // A 2 MB upload: this curl adds Expect: 100-continue on its own.
                let file = FileManager.default.temporaryDirectory.appendingPathComponent("upload-\(port).bin")
                try Data(repeating: 65, count: 2 * 1024 * 1024).write(to: file)
                defer { try? FileManager.default.removeItem(at: file) }
                let big = try Curl.run(["-sS", "-v", "--data-binary", "@\(file.path)", "http://127.0.0.1:\(port)/big"])
                #expect(big.stderr.contains("Expect: 100-continue"))
                #expect(big.stderr.contains("HTTP/1.1 100 Continue"))
                #expect(big.stdout.contains(#""bodyLength":2097152"#))
            }
        }
    }

    @Test func curlGets413WithoutUploading() async throws {
        try await withServer({ $0.defaultBodyLimit = 1024 }) { _, port in
            try await offPool {
                let r = try Curl.run([
                    "-sS", "-v", "-H", "Expect: 100-continue", "--data-binary", String(repeating: "k", count: 4096),
                    "-w", "\n%{http_code} %{size_upload}", "http://127.0.0.1:\(port)/x",
                ])
                #expect(r.stdout.contains(#"{"error":"request body too large"}"#))
                #expect(r.stdout.hasSuffix("413 0"))
            }
        }
    }
}
