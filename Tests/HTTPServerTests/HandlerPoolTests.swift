import Foundation
import HTTPServer
import Testing

@Suite struct HandlerPoolTests {
    @Test func aBlockedHandlerThreadDoesNotStallOtherRequests() async throws {
        try await withServer({ $0.handlerThreadCount = 1 }, handler: BlockingHandler()) { _, port in
            try await offPool {
                let blocked = try RawConnection(port: port)
                try blocked.send("GET /block HTTP/1.1\r\nHost: x\r\n\r\n")
                usleep(100_000)
                let start = ContinuousClock.now
                let other = try RawConnection(port: port)
                try other.send("GET /quick HTTP/1.1\r\nHost: x\r\n\r\n")
                let r = try other.readResponse()
                #expect(r.bodyText == "/quick")
                let waited = ContinuousClock.now - start
                #expect(waited < .milliseconds(2500), "waited \(waited) behind a handler blocked for 3 s")
            }
        }
    }

    @Test func tasksCreatedByHandlersRun() async throws {
        struct Spawning: HTTPHandler {
            func handle(_ request: HTTPRequest) async throws -> HTTPResponse {
                let child = Task { request.path.uppercased() }
                let detached = Task.detached { request.path.count }
                return HTTPResponse(contentType: "text/plain", body: "\(await child.value) \(await detached.value)")
            }
        }
        try await withServer(handler: Spawning()) { _, port in
            try await offPool {
                let c = try RawConnection(port: port)
                // The detached task runs on the global pool, which other suites may keep busy: wait long.
                c.setTimeout(30)
                try c.send("GET /abc HTTP/1.1\r\nHost: x\r\n\r\n")
                #expect(try c.readResponse().bodyText == "/ABC 4")
            }
        }
    }
}
