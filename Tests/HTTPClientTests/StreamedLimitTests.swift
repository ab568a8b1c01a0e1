import Foundation
import Glibc
import Synchronization
import TestSupport
import Testing

@testable import HTTPClient

/// The byte cap, the deadline and cancellation end a transfer while the server is still sending, and the server
/// sees its connection closed then.
@Suite struct StreamedLimitTests {
    /// Counts what an endless (or very long) answer managed to write before the client hung up.
    final class Sent: Sendable {
        let bytes = Atomic<Int>(0)
        let cutOff = Atomic<Bool>(false)
    }

    static let chunk = [UInt8](repeating: UInt8(ascii: "a"), count: 64 << 10)

    /// Streams `total` bytes (close-delimited, or chunked when `chunked`) and records where it had to stop.
    static func streaming(_ total: Int, chunked: Bool = false, contentLength: Bool = false, into sent: Sent) throws -> ScriptedServer {
        try ScriptedServer { _, connection in
            let framing = chunked ? "Transfer-Encoding: chunked" : contentLength ? "Content-Length: \(total)" : "Connection: close"
            guard connection.write("HTTP/1.1 200 OK\r\n\(framing)\r\n\r\n") else { return }
            let frame = chunked ? Array("10000\r\n".utf8) + chunk + Array("\r\n".utf8) : chunk
            while sent.bytes.load(ordering: .relaxed) < total {
                guard connection.write(frame) else {
                    sent.cutOff.store(true, ordering: .relaxed)
                    return
                }
                sent.bytes.add(chunk.count, ordering: .relaxed)
            }
        }
    }

    @Test(arguments: [false, true])
    func aHugeAnswerIsCutAtTheCap(chunked: Bool) async throws {
        let sent = Sent()
        let total = 200 << 20
        let server = try Self.streaming(total, chunked: chunked, into: sent)
        defer { server.stop() }
        await #expect(throws: OutboundError.tooLarge(limit: 1 << 20)) {
            _ = try await OutboundClient(timeout: .seconds(60)).send(OutboundRequest(url: server.url("/huge")))
        }
        #expect(await eventually { sent.cutOff.load(ordering: .relaxed) })
        // The socket buffers hold a few MiB at most: the server was stopped far from the end.
        #expect(sent.bytes.load(ordering: .relaxed) < 64 << 20)
    }

    @Test func anAnnouncedLengthOverTheCapIsRefusedBeforeTheBody() async throws {
        let sent = Sent()
        let server = try Self.streaming(200 << 20, contentLength: true, into: sent)
        defer { server.stop() }
        await #expect(throws: OutboundError.tooLarge(limit: 1 << 20)) {
            _ = try await OutboundClient(timeout: .seconds(60)).send(OutboundRequest(url: server.url("/announced")))
        }
        #expect(await eventually { sent.cutOff.load(ordering: .relaxed) })
        #expect(sent.bytes.load(ordering: .relaxed) < 64 << 20)
    }

    @Test func anAnswerAtTheCapIsWhole() async throws {
        let body = [UInt8](repeating: UInt8(ascii: "b"), count: 1 << 20)
        let server = try ScriptedServer { _, connection in
            _ = connection.write(Array("HTTP/1.1 200 OK\r\nContent-Length: \(body.count)\r\n\r\n".utf8) + body)
        }
        defer { server.stop() }
        let response = try await OutboundClient().send(OutboundRequest(url: server.url("/exact")))
        #expect(response.body == body)
    }

    @Test func theDeadlineEndsAnAnswerThatStallsMidBody() async throws {
        let closed = Atomic<Bool>(false)
        let server = try ScriptedServer { _, connection in
            guard connection.write("HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\nthe first bytes") else { return }
            closed.store(connection.waitForClose(), ordering: .relaxed)
        }
        defer { server.stop() }
        await #expect(throws: OutboundError.timedOut(after: .milliseconds(300))) {
            _ = try await OutboundClient().send(OutboundRequest(url: server.url("/stall")), timeout: .milliseconds(300))
        }
        #expect(await eventually { closed.load(ordering: .relaxed) })
    }

    @Test func cancellingTheCallerEndsTheExchange() async throws {
        let started = Gate()
        let closed = Atomic<Bool>(false)
        let server = try ScriptedServer { _, connection in
            guard connection.write("HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\nsome") else { return }
            Task { started.open() }
            closed.store(connection.waitForClose(), ordering: .relaxed)
        }
        defer { server.stop() }
        let call = Task {
            try await OutboundClient(timeout: .seconds(60)).send(OutboundRequest(url: server.url("/held")))
        }
        await started.pass()
        call.cancel()
        await #expect(throws: OutboundError.cancelled) { _ = try await call.value }
        #expect(await eventually { closed.load(ordering: .relaxed) })
    }

    @Test func aRefusedConnectionIsANetworkError() async throws {
        let (unlistened, port) = try boundButNotListening()
        defer { close(unlistened) }
        do {
            _ = try await OutboundClient(timeout: .seconds(30)).send(OutboundRequest(url: URL(string: "http://127.0.0.1:\(port)/")!))
            Issue.record("expected a failure")
        } catch {
            guard case .network = error else {
                Issue.record("expected a network error, got \(error)")
                return
            }
        }
    }
}
