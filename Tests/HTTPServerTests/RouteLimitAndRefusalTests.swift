import HTTPServer
import Synchronization
import Testing
import TestSupport

/// What the server decides on a handler's behalf: the body limit of a request's route (asked once its head is read,
/// only when it has a body), the one body buffer it is read into, the headers of the server's own refusals, and a
/// 205 without content.
@Suite struct RouteLimitAndRefusalTests {
    /// Records what it is asked and what it got: the limit asks, and the size and capacity of each body.
    final class RecordingLimitHandler: HTTPHandler {
        private let state = Mutex<(limitAsks: [String], bodies: [(count: Int, capacity: Int)])>(([], []))

        func handle(_ request: HTTPRequest) async throws -> HTTPResponse {
            state.withLock { $0.bodies.append((request.body.count, request.body.capacity)) }
            if request.path == "/reset" { return HTTPResponse(status: HTTPStatus(205), contentType: "text/plain", body: "gone") }
            return HTTPResponse(status: .ok, contentType: "text/plain", body: "\(request.body.count)")
        }

        func bodyLimit(for head: HTTPRequestHead) -> Int? {
            state.withLock { $0.limitAsks.append(head.path) }
            return head.path == "/big" ? 25 << 20 : nil
        }

        func serverAnswerHeaders(for head: HTTPRequestHead?) -> HTTPHeaders {
            ["X-Request-Id": head?.headers["X-Request-Id"] ?? "fresh"]
        }

        var limitAsks: [String] { state.withLock { $0.limitAsks } }
        var bodies: [(count: Int, capacity: Int)] { state.withLock { $0.bodies } }
    }

    /// A 20 MiB body on a route that takes 25 MiB is read whole into one buffer no larger than the body (plain
    /// doubling would end at 32 MiB); the same body on a route with the default limit is refused before it is read.
    @Test func aLargeBodyIsReadIntoOneBufferOfItsSize() async throws {
        let handler = RecordingLimitHandler()
        try await withServer(handler: handler) { _, port in
            try await offPool {
                let size = 20 << 20
                let c = try RawConnection(port: port)
                try c.send("POST /big HTTP/1.1\r\nHost: x\r\nContent-Length: \(size)\r\n\r\n")
                try c.send([UInt8](repeating: UInt8(ascii: "a"), count: size))
                let r = try c.readResponse()
                #expect(r.status == 200 && r.bodyText == "\(size)")

                let small = try RawConnection(port: port)
                try small.send("POST /other HTTP/1.1\r\nHost: x\r\nContent-Length: \(size)\r\n\r\n")
                #expect(try small.readResponse().status == 413)

                // Chunked, with no declared length: the buffer grows up to the route's limit, never past it.
                let chunked = try RawConnection(port: port)
                try chunked.send("POST /big HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
                let chunk = [UInt8](repeating: UInt8(ascii: "b"), count: 1 << 20)
                for _ in 0..<24 {
                    try chunked.send("100000\r\n")
                    try chunked.send(chunk + Array("\r\n".utf8))
                }
                try chunked.send("0\r\n\r\n")
                #expect(try chunked.readResponse().bodyText == "\(24 << 20)")
            }
        }
        let bodies = handler.bodies
        #expect(bodies.count == 2)
        if bodies.count == 2 {
            #expect(bodies[0].count == 20 << 20)
            #expect(bodies[0].capacity < (20 << 20) + (1 << 20), "capacity \(bodies[0].capacity)")
            #expect(bodies[1].count == 24 << 20)
            #expect(bodies[1].capacity <= (25 << 20) + (1 << 20), "capacity \(bodies[1].capacity)")
        }
    }

    /// The handler is asked for a limit only for requests that have a body.
    @Test func onlyRequestsWithABodyAskForALimit() async throws {
        let handler = RecordingLimitHandler()
        try await withServer(handler: handler) { _, port in
            try await offPool {
                let c = try RawConnection(port: port)
                try c.send("GET /no-body HTTP/1.1\r\nHost: x\r\n\r\n")
                #expect(try c.readResponse().status == 200)
                try c.send("POST /empty HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
                #expect(try c.readResponse().status == 200)
                try c.send("POST /some HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi")
                #expect(try c.readResponse().status == 200)
            }
        }
        #expect(handler.limitAsks == ["/some"])
    }

    /// The server's own answers carry the handler's headers: with the refused request's head when it was read (the
    /// caller's `X-Request-Id` comes back), without it when the request could not be parsed.
    @Test func serverRefusalsCarryTheHandlersHeaders() async throws {
        try await withServer(handler: RecordingLimitHandler()) { _, port in
            try await offPool {
                let tooLarge = try RawConnection(port: port)
                try tooLarge.send("POST /other HTTP/1.1\r\nHost: x\r\nX-Request-Id: caller-1\r\nContent-Length: 2000000\r\n\r\n")
                let refused = try tooLarge.readResponse()
                #expect(refused.status == 413 && refused.header("X-Request-Id") == "caller-1")

                let malformed = try RawConnection(port: port)
                try malformed.send("GET / HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n")
                let bad = try malformed.readResponse()
                #expect(bad.status == 400 && bad.header("X-Request-Id") == "fresh")

                let unknown = try RawConnection(port: port)
                try unknown.send("BREW / HTTP/1.1\r\nHost: x\r\n\r\n")
                let brew = try unknown.readResponse()
                #expect(brew.status == 501 && brew.header("X-Request-Id") == "fresh")
            }
        }
    }

    /// 205 Reset Content has no content (https://www.rfc-editor.org/rfc/rfc9110#section-15.3.6): the handler's
    /// body is dropped, `Content-Length: 0` frames it, and the connection goes on to the next request.
    @Test func resetContentCarriesNoBody() async throws {
        try await withServer(handler: RecordingLimitHandler()) { _, port in
            try await offPool {
                let c = try RawConnection(port: port)
                try c.send("POST /reset HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
                let reset = try c.readResponse()
                #expect(reset.status == 205 && reset.body.isEmpty && reset.header("Content-Length") == "0")
                try c.send("POST /after HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nok")
                let next = try c.readResponse()
                #expect(next.status == 200 && next.bodyText == "2")
            }
        }
    }
}
