import Foundation
import Glibc
import TestSupport
import Testing

@testable import HTTPClient

/// Hundreds of exchanges ended every way at once — at the cap, at the deadline, by cancellation, refused, reset by
/// the server mid-body — must each end with the right error and leave the process standing (URLSession on Linux
/// crashed in this kind of mix; see Sources/HTTPClient/README.md).
@Suite struct OutboundStressTests {
    @Test func manyExchangesEndedEveryWaySurvive() async throws {
        let chunk = [UInt8](repeating: 0x61, count: 64 << 10)
        let server = try ScriptedServer { request, connection in
            switch request.path {
            case "/reset":
                guard connection.write("HTTP/1.1 200 OK\r\nContent-Length: 200000\r\n\r\n") else { return }
                for _ in 0..<Int.random(in: 0...3) where !connection.write(chunk) { return }
                var reset = linger(l_onoff: 1, l_linger: 0)
                setsockopt(connection.socket, SOL_SOCKET, SO_LINGER, &reset, socklen_t(MemoryLayout<linger>.size))
            case "/stall":
                guard connection.write("HTTP/1.1 200 OK\r\nContent-Length: 200000\r\n\r\nsome") else { return }
                _ = connection.waitForClose()
            default:
                guard connection.write("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n") else { return }
                while connection.write(chunk) {}
            }
        }
        defer { server.stop() }
        // A port bound but not listening refuses every connection, and stays ours for the whole test (a port merely
        // closed could be given to another test's server meanwhile).
        let (unlistened, refusedPort) = try boundButNotListening()
        defer { close(unlistened) }
        let client = OutboundClient(timeout: .seconds(60), maxResponseBytes: 256 << 10)
        var counts: [String: Int] = [:]
        for batch in 0..<25 {
            let outcomes = await withTaskGroup(of: String.self) { group in
                for index in 0..<16 {
                    let kind = (batch * 16 + index) % 5
                    group.addTask { await Self.exchange(kind, client: client, server: server, refusedPort: refusedPort) }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            for outcome in outcomes { counts[outcome, default: 0] += 1 }
        }
        #expect(counts["capped"] == 80)
        #expect(counts["reset"] == 80, "\(counts)")
        #expect(counts["refused"] == 80)
        #expect(counts["timed out"] == 80)
        #expect(counts["cancelled"] == 80)
        #expect(counts.values.reduce(0, +) == 400, "\(counts)")
    }

    /// One exchange of the given kind; its outcome, or what went wrong.
    static func exchange(_ kind: Int, client: OutboundClient, server: ScriptedServer, refusedPort: Int) async -> String {
        let failure: OutboundError
        do {
            switch kind {
            case 0: _ = try await client.send(OutboundRequest(url: server.url("/endless")))
            case 1: _ = try await client.send(OutboundRequest(url: server.url("/reset")))
            case 2: _ = try await client.send(OutboundRequest(url: URL(string: "http://127.0.0.1:\(refusedPort)/")!))
            case 3:
                let limit = Duration.milliseconds(Int64.random(in: 1...50))
                _ = try await client.send(OutboundRequest(url: server.url("/stall")), timeout: limit)
            default:
                let call = Task { try await client.send(OutboundRequest(url: server.url("/endless"))) }
                if Bool.random() { await Task.yield() }
                call.cancel()
                _ = try await call.value
            }
            return "unexpected answer"
        } catch let error as OutboundError {
            failure = error
        } catch {
            return "unexpected \(error)"
        }
        switch (kind, failure) {
        case (0, .tooLarge): return "capped"
        case (1, .network): return "reset"
        case (2, .network): return "refused"
        case (3, .timedOut): return "timed out"
        // Cancelled at once, or only after the cap was reached: either way the exchange ended and said why.
        case (4, .cancelled), (4, .tooLarge): return "cancelled"
        default: return "unexpected \(failure) for kind \(kind)"
        }
    }
}
