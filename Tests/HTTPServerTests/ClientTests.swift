import Foundation
import FoundationNetworking
import HTTPServer
import JSON
import Testing

/// The same server used by real clients: URLSession and the curl binary.
@Suite struct ClientTests {
    @Test func urlSessionGetAndPost() async throws {
        try await withServer { _, port in
            let session = URLSession(configuration: .ephemeral)
            defer { session.finishTasksAndInvalidate() }
            let url = URL(string: "http://127.0.0.1:\(port)/hooks/a%20b?x=1&y=two")!
            let (data, response) = try await session.data(from: url)
            let http = try #require(response as? HTTPURLResponse)
            #expect(http.statusCode == 200)
            #expect(http.value(forHTTPHeaderField: "Content-Type") == "application/json")
            let echo = try JSONValue(parsing: Array(data))
            #expect(echo.value(atPath: "path")?.stringValue == "/hooks/a b")
            #expect(echo.value(atPath: "rawQuery")?.stringValue == "x=1&y=two")

            for i in 0..<3 {
                var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/post")!)
                request.httpMethod = "POST"
                request.setValue("application/json", forHTTPHeaderField: "Content-Type")
                request.httpBody = Data(#"{"n":\#(i)}"#.utf8)
                let (body, answer) = try await session.data(for: request)
                #expect((answer as? HTTPURLResponse)?.statusCode == 200)
                #expect(try JSONValue(parsing: Array(body)).value(atPath: "body")?.stringValue == #"{"n":\#(i)}"#)
            }
        }
    }

    @Test func urlSessionSeesJSONErrors() async throws {
        try await withServer({ $0.defaultBodyLimit = 10 }) { _, port in
            let session = URLSession(configuration: .ephemeral)
            defer { session.finishTasksAndInvalidate() }
            let (data, response) = try await session.data(
                from: URL(string: "http://127.0.0.1:\(port)/throw")!)
            #expect((response as? HTTPURLResponse)?.statusCode == 500)
            #expect(try JSONValue(parsing: Array(data)).value(atPath: "error") != nil)
        }
    }

    @Test func curlRequests() async throws {
        try await withServer { _, port in
            try await offPool {
                let base = "http://127.0.0.1:\(port)"
                let get = try Curl.run(["-sS", "-i", "\(base)/x?q=1"])
                #expect(get.stdout.hasPrefix("HTTP/1.1 200 OK"))
                #expect(get.stdout.contains(#""rawQuery":"q=1""#))

                let post = try Curl.run(["-sS", "-H", "Content-Type: application/json", "-d", #"{"a":1}"#, "\(base)/p"])
                #expect(post.stdout.contains(#""body":"{\"a\":1}""#))

                let head = try Curl.run(["-sS", "-I", "\(base)/h"])
                #expect(head.stdout.hasPrefix("HTTP/1.1 200 OK"))
                #expect(head.stdout.contains("Content-Length: "))

                let old = try Curl.run(["-sS", "-i", "--http1.0", "\(base)/old"])
                #expect(old.stdout.contains(#""version":"HTTP/1.0""#))
                #expect(old.stdout.contains("Connection: close"))

                let chunked = try Curl.run([
                    "-sS", "-H", "Transfer-Encoding: chunked", "--data-binary", "chunked upload", "\(base)/c",
                ])
                #expect(chunked.stdout.contains(#""body":"chunked upload""#))

                let reuse = try Curl.run(["-sS", "-v", "\(base)/one", "\(base)/two", "\(base)/three"])
                #expect(reuse.stderr.contains("Re-using existing connection"))
                #expect(reuse.stdout.contains(#""path":"/three""#))
            }
        }
    }

    /// The IPv6 loopback: bound as `::1`, reached by curl, and the peer reported as IPv6 loopback.
    @Test func ipv6Loopback() async throws {
        try await withServer({ $0.host = "::1" }) { _, port in
            try await offPool {
                let get = try Curl.run(["-sS", "-g", "-i", "http://[::1]:\(port)/v6"])
                #expect(get.stdout.hasPrefix("HTTP/1.1 200 OK"))
                #expect(get.stdout.contains(#""path":"/v6""#))
                #expect(get.stdout.contains(#""peer":"0:0:0:0:0:0:0:1""#))
                #expect(get.stdout.contains(#""peerIsLoopback":true"#))
            }
        }
    }
}
