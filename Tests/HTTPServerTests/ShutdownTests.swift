import Foundation
import Glibc
import HTTPServer
import Synchronization
import Testing
import TestSupport

@Suite struct ShutdownTests {
    @Test func finishesInFlightRequestsAndClosesIdleConnections() async throws {
        let gate = GatedHandler()
        let server = HTTPServer(configuration: HTTPServerConfiguration(host: "127.0.0.1", port: 0), handler: gate)
        try server.start()
        let port = server.localPort
        let idle = try RawConnection(port: port)
        let busy = try RawConnection(port: port)
        try busy.send("GET /in-flight HTTP/1.1\r\nHost: x\r\n\r\n")
        try #require(await eventually { gate.arrived == 1 }, "the request never reached the handler")

        // A grace period no test outlasts: shutdown can only return because the request finished.
        let shutdown = BackgroundShutdown(server, gracePeriod: .seconds(3600))
        // Idle connections are closed at once, and new connections refused, while the request is in flight.
        let idleOutcome = try await offPool { idle.readUntilClosed().0 }
        #expect(idleOutcome == .closed)
        #expect(await eventually { (try? RawConnection(port: port)) == nil }, "new connections are still accepted")
        #expect(shutdown.returnedAt == nil, "shutdown returned with a request in flight")
        gate.open()
        let response = try await offPool { try busy.readResponse() }
        #expect(response.status == 200)
        #expect(response.bodyText == "/in-flight")
        #expect(response.header("Connection") == "close")
        #expect(try await offPool { busy.readUntilClosed().0 } == .closed)
        #expect(await eventually { shutdown.returnedAt != nil }, "shutdown did not return although the request finished")
    }

    @Test func gracePeriodBoundsSlowHandlers() async throws {
        let gate = GatedHandler()
        let server = HTTPServer(configuration: HTTPServerConfiguration(host: "127.0.0.1", port: 0), handler: gate)
        try server.start()
        let stuck = try RawConnection(port: server.localPort)
        try stuck.send("GET /never HTTP/1.1\r\nHost: x\r\n\r\n")
        try #require(await eventually { gate.arrived == 1 }, "the request never reached the handler")
        let start = ContinuousClock.now
        let shutdown = BackgroundShutdown(server, gracePeriod: .milliseconds(500))
        // The handler never answers: only the grace period can end the shutdown.
        #expect(await eventually { shutdown.returnedAt != nil }, "shutdown did not return with a handler that never answers")
        // Never before the grace period is over: a lower bound, which a busy machine cannot break.
        if let returned = shutdown.returnedAt {
            #expect(returned - start >= .milliseconds(450), "shutdown took \(returned - start) of a 500 ms grace period")
        }
        let outcome = try await offPool { stuck.readUntilClosed() }
        #expect(outcome.0 == .closed || outcome.0 == .reset)
        #expect(outcome.1.isEmpty)
        gate.open()
    }
}

/// `shutdown(gracePeriod:)` running in the background, so a test can wait for it with a timeout and see when it
/// returned.
final class BackgroundShutdown: Sendable {
    private let returned = Mutex<ContinuousClock.Instant?>(nil)

    init(_ server: HTTPServer, gracePeriod: Duration) {
        Task {
            await server.shutdown(gracePeriod: gracePeriod)
            self.returned.withLock { $0 = .now }
        }
    }

    /// When shutdown returned; nil while it is still running.
    var returnedAt: ContinuousClock.Instant? { returned.withLock { $0 } }
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
