import Foundation
import Glibc
import HTTPServer
import Testing

@Suite struct ShutdownTests {
    @Test func finishesInFlightRequestsAndClosesIdleConnections() async throws {
        let server = HTTPServer(
            configuration: HTTPServerConfiguration(host: "127.0.0.1", port: 0), handler: EchoHandler())
        try server.start()
        let port = server.localPort
        let idle = try RawConnection(port: port)
        let busy = try RawConnection(port: port)
        try busy.send("GET /slower HTTP/1.1\r\nHost: x\r\n\r\n")
        try await Task.sleep(for: .milliseconds(100))

        let start = ContinuousClock.now
        async let stopped: Void = server.shutdown(gracePeriod: .seconds(3))
        let idleOutcome = try await offPool { idle.readUntilClosed().0 }
        #expect(idleOutcome == .closed)
        let response = try await offPool { try busy.readResponse() }
        #expect(response.status == 200)
        #expect(response.header("Connection") == "close")
        await stopped
        let took = ContinuousClock.now - start
        #expect(took < .milliseconds(2800), "shutdown took \(took)")
        #expect(throws: (any Error).self) { try RawConnection(port: port) }
    }

    @Test func gracePeriodBoundsSlowHandlers() async throws {
        let server = HTTPServer(
            configuration: HTTPServerConfiguration(host: "127.0.0.1", port: 0), handler: EchoHandler())
        try server.start()
        let stuck = try RawConnection(port: server.localPort)
        try stuck.send("GET /stall HTTP/1.1\r\nHost: x\r\n\r\n")
        try await Task.sleep(for: .milliseconds(100))
        let start = ContinuousClock.now
        await server.shutdown(gracePeriod: .milliseconds(500))
        let took = ContinuousClock.now - start
        #expect(took >= .milliseconds(400) && took < .seconds(2), "shutdown took \(took)")
        let outcome = try await offPool { stuck.readUntilClosed() }
        #expect(outcome.0 == .closed || outcome.0 == .reset)
        #expect(outcome.1.isEmpty)
    }
}

@Suite struct StartTests {
    @Test func portZeroPicksAFreePort() async throws {
        try await withServer { server, port in
            #expect(port > 0)
            #expect(server.localPort == port)
        }
    }

    @Test func bindFailureIsAClearError() async throws {
        try await withServer { _, port in
            let second = HTTPServer(
                configuration: HTTPServerConfiguration(host: "127.0.0.1", port: port), handler: EchoHandler())
            #expect {
                try second.start()
            } throws: { error in
                "\(error)".contains("Address already in use") && "\(error)".contains("\(port)")
            }
        }
    }

    @Test func invalidAddressIsRejected() {
        let server = HTTPServer(
            configuration: HTTPServerConfiguration(host: "not-an-ip", port: 0), handler: EchoHandler())
        #expect { try server.start() } throws: { "\($0)".contains("not-an-ip") }
    }

    @Test func startingTwiceFails() async throws {
        try await withServer { server, _ in
            #expect(throws: HTTPServerError.self) { try server.start() }
        }
    }
}
