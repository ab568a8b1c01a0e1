import Foundation
import Glibc
import Synchronization

/// One exchange's way to stop (its deadline or its caller's cancellation) shared with the transfers it runs, one
/// after another. Stopping answers the caller at once and shuts down the transfer's sockets, so the server sees the
/// connection end then; the transfer's thread winds down by itself.
final class Exchange: Sendable {
    private struct State {
        var stopped: OutboundError?
        var continuation: CheckedContinuation<OutboundResponse, any Error>?
        var sockets: Set<Int32> = []
    }

    private let state = Mutex(State())
    private let stopFlag = Atomic<Bool>(false)

    /// Whether the exchange was stopped; read by the transfer's callbacks.
    var isStopped: Bool { stopFlag.load(ordering: .acquiring) }

    /// Ends the exchange with `reason`, unless it already ended.
    func stop(_ reason: OutboundError) {
        let continuation = state.withLock { state -> CheckedContinuation<OutboundResponse, any Error>? in
            guard state.stopped == nil else { return nil }
            state.stopped = reason
            stopFlag.store(true, ordering: .releasing)
            for socket in state.sockets { shutdown(socket, Int32(SHUT_RDWR)) }
            defer { state.continuation = nil }
            return state.continuation
        }
        continuation?.resume(throwing: reason)
    }

    /// Runs `transfer` on a thread of its own and returns its answer, or the reason the exchange was stopped.
    func perform(_ transfer: @escaping @Sendable (Exchange) -> Result<OutboundResponse, OutboundError>) async throws
        -> OutboundResponse
    {
        try await withCheckedThrowingContinuation { continuation in
            let stopped = state.withLock { state -> OutboundError? in
                if let stopped = state.stopped { return stopped }
                state.continuation = continuation
                return nil
            }
            if let stopped {
                continuation.resume(throwing: stopped)
                return
            }
            let thread = Thread { [self] in
                let result = transfer(self)
                let continuation = state.withLock { state in
                    defer { state.continuation = nil }
                    return state.continuation
                }
                continuation?.resume(with: result)
            }
            thread.name = "outbound-http"
            thread.start()
        }
    }

    /// Registers a socket the transfer opened; `false` (the exchange is stopped) tells it to give up.
    func opened(_ socket: Int32) -> Bool {
        state.withLock { state in
            guard state.stopped == nil else { return false }
            state.sockets.insert(socket)
            return true
        }
    }

    /// Closes a socket the transfer is done with, under the lock `stop` shuts sockets down with, so it never
    /// shuts down a number the system has already given to someone else.
    func close(_ socket: Int32) {
        state.withLock { state in
            state.sockets.remove(socket)
            _ = Glibc.close(socket)
        }
    }
}
