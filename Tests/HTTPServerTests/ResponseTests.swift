import HTTPServer
import Testing

/// What the server adds to, and removes from, a handler's response.
@Suite struct ResponseTests {
    struct Scripted: HTTPHandler {
        func handle(_ request: HTTPRequest) async throws -> HTTPResponse {
            switch request.path {
            case "/inject":
                var headers = HTTPHeaders()
                headers.add("X-Fine", "yes")
                headers.add("X-Split", "a\r\nSet-Cookie: evil=1")
                headers.add("Bad Name", "x")
                headers.add("Content-Length", "999")
                headers.add("Transfer-Encoding", "chunked")
                return HTTPResponse(status: .ok, headers: headers, body: Array("body".utf8))
            case "/close":
                return HTTPResponse(status: .ok, headers: ["Connection": "close"], body: Array("bye".utf8))
            case "/empty":
                return HTTPResponse(status: .noContent, body: Array("ignored".utf8))
            case "/dated":
                return HTTPResponse(status: .ok, headers: ["Date": "Tue, 01 Jan 2030 00:00:00 GMT"], body: [])
            case "/interim":
                return HTTPResponse(status: 101)
            default:
                return HTTPResponse(status: 201, contentType: "text/plain", body: "made")
            }
        }
    }

    @Test func frameAndUnsafeHeadersAreTheServers() async throws {
        try await withServer(handler: Scripted()) { _, port in
            try await offPool {
                let c = try RawConnection(port: port)
                try c.send("GET /inject HTTP/1.1\r\nHost: x\r\n\r\n")
                let r = try c.readResponse()
                #expect(r.status == 200)
                #expect(r.header("X-Fine") == "yes")
                #expect(r.header("X-Split") == nil)
                #expect(r.header("Set-Cookie") == nil)
                #expect(r.header("Bad Name") == nil)
                #expect(r.header("Transfer-Encoding") == nil)
                #expect(r.headers.filter { $0.name.lowercased() == "content-length" }.map(\.value) == ["4"])
                #expect(r.bodyText == "body")
                try c.send("GET /next HTTP/1.1\r\nHost: x\r\n\r\n")
                #expect(try c.readResponse().status == 201)
            }
        }
    }

    @Test func onlyContentLengthDateAndConnectionAreAdded() async throws {
        try await withServer(handler: Scripted()) { _, port in
            try await offPool {
                let c = try RawConnection(port: port)
                try c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                let r = try c.readResponse()
                #expect(r.status == 201)
                #expect(Set(r.headers.map { $0.name }) == ["Content-Type", "Content-Length", "Date"])
                try c.send("GET /dated HTTP/1.1\r\nHost: x\r\n\r\n")
                let dated = try c.readResponse()
                #expect(dated.headers.filter { $0.name == "Date" }.map(\.value) == ["Tue, 01 Jan 2030 00:00:00 GMT"])
            }
        }
    }

    @Test func handlerConnectionCloseClosesAfterTheResponse() async throws {
        try await withServer(handler: Scripted()) { _, port in
            try await offPool {
                let c = try RawConnection(port: port)
                try c.send("GET /close HTTP/1.1\r\nHost: x\r\n\r\n")
                let r = try c.readResponse()
                #expect(r.bodyText == "bye")
                #expect(r.header("Connection") == "close")
                #expect(c.readUntilClosed().0 == .closed)
            }
        }
    }

    @Test func noContentHasNoLengthOrBody() async throws {
        try await withServer(handler: Scripted()) { _, port in
            try await offPool {
                let c = try RawConnection(port: port)
                try c.send("GET /empty HTTP/1.1\r\nHost: x\r\n\r\nGET /next HTTP/1.1\r\nHost: x\r\n\r\n")
                let r = try c.readResponse()
                #expect(r.status == 204)
                #expect(r.header("Content-Length") == nil)
                #expect(try c.readResponse().status == 201)
            }
        }
    }

    @Test func interimStatusFromAHandlerBecomes500() async throws {
        try await withServer(handler: Scripted()) { _, port in
            try await offPool {
                let c = try RawConnection(port: port)
                try c.send("GET /interim HTTP/1.1\r\nHost: x\r\n\r\n")
                #expect(try c.readResponse().status == 500)
            }
        }
    }
}
