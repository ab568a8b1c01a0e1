import Foundation
import HTTPServer
import Testing
import TestSupport

@Suite struct HandlerPoolTests {
    @Test func aBlockedHandlerThreadDoesNotStallOtherRequests() async throws {
        let handler = BlockingHandler()
        try await withServer({ $0.handlerThreadCount = 1 }, handler: handler) { _, port in
            defer { handler.release() }
            let blocked = try await offPool {
                let blocked = try RawConnection(port: port)
                try blocked.send("GET /block HTTP/1.1\r\nHost: x\r\n\r\n")
                return blocked
            }
            try #require(await eventually { handler.blocked == 1 }, "/block never reached the handler")
            // The only handler thread stays blocked until this answer is in: it must come from elsewhere.
            let quick = try await offPool {
                let other = try RawConnection(port: port)
                try other.send("GET /quick HTTP/1.1\r\nHost: x\r\n\r\n")
                return try other.readResponse().bodyText
            }
            #expect(quick == "/quick")
            withExtendedLifetime(blocked) {}
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
