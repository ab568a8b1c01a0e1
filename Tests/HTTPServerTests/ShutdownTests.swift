import Foundation
import Glibc
import HTTPServer
import Testing

@Suite struct ShutdownTests {
    @Test func finishesInFlightRequestsAndClosesIdleConnections() async throws {
        let gate = GatedHandler()
        let server = HTTPServer(configuration: HTTPServerConfiguration(host: "127.0.0.1", port: 0), handler: gate)
        try server.start()
        let port = server.localPort
        let idle = try RawConnection(port: port)
        let busy = try RawConnection(port: port)
        try busy.send("GET /in-flight HTTP/1.1\r\nHost: x\r\n\r\n")
        while gate.arrived == 0 { try await Task.sleep(for: .milliseconds(10)) }

        let start = ContinuousClock.now
        async let stopped: Void = server.shutdown(gracePeriod: .seconds(5))
        // Idle connections are closed at once, and new connections refused, while the request is in flight.
        let idleOutcome = try await offPool { idle.readUntilClosed().0 }
        #expect(idleOutcome == .closed)
        #expect(throws: (any Error).self) { try RawConnection(port: port) }
        gate.open()
        let response = try await offPool { try busy.readResponse() }
        #expect(response.status == 200)
        #expect(response.bodyText == "/in-flight")
        #expect(response.header("Connection") == "close")
        #expect(try await offPool { busy.readUntilClosed().0 } == .closed)
        await stopped
        let took = ContinuousClock.now - start
        #expect(took < .seconds(4), "shutdown took \(took) although the request finished")
    }

    @Test func gracePeriodBoundsSlowHandlers() async throws {
        let gate = GatedHandler()
        let server = HTTPServer(configuration: HTTPServerConfiguration(host: "127.0.0.1", port: 0), handler: gate)
        try server.start()
        let stuck = try RawConnection(port: server.localPort)
        try stuck.send("GET /never HTTP/1.1\r\nHost: x\r\n\r\n")
        while gate.arrived == 0 { try await Task.sleep(for: .milliseconds(10)) }
        let start = ContinuousClock.now
        await server.shutdown(gracePeriod: .milliseconds(500))
        let took = ContinuousClock.now - start
        #expect(took >= .milliseconds(450) && took < .seconds(3), "shutdown took \(took) with a handler that never answers")
        let outcome = try await offPool { stuck.readUntilClosed() }
        #expect(outcome.0 == .closed || outcome.0 == .reset)
        #expect(outcome.1.isEmpty)
        gate.open()
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
