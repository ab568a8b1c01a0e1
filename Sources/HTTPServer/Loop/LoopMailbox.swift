import Synchronization

/// How other threads talk to an event loop: a Mutex-guarded queue plus an eventfd that wakes the loop's
/// `epoll_wait`. Wakeups are batched: the eventfd is written only when the queue goes from "drained" to
/// "has work", however many messages arrive before the loop drains it.
final class LoopMailbox: Sendable {
    enum Message: Sendable {
        /// A finished response for the connection `fd` whose accept id is `connectionID`.
        case response(fd: Int32, connectionID: UInt64, bytes: [UInt8], close: Bool)
        /// Stop accepting, close idle connections, and exit once the rest finish or at `deadline` (monotonic ms).
        case shutdown(deadline: Int64)
    }

    private struct State {
        var messages: [Message] = []
        var signalled = false
        var closed = false
    }

    let eventFD: Int32
    private let state = Mutex(State())

    init() throws(SystemError) {
        eventFD = try Posix.eventFD()
    }

    /// Queues a message; wakes the loop if it was not already woken.
    func post(_ message: Message) {
        state.withLock { state in
            guard !state.closed else { return }
            state.messages.append(message)
            if !state.signalled {
                state.signalled = true
                Posix.eventFDSignal(eventFD)
            }
        }
    }

    /// Queues several messages with at most one wakeup.
    func post(contentsOf batch: [Message]) {
        state.withLock { state in
            guard !state.closed else { return }
            state.messages.append(contentsOf: batch)
            if !state.signalled {
                state.signalled = true
                Posix.eventFDSignal(eventFD)
            }
        }
    }

    /// Takes every queued message. Called by the loop after its eventfd fired.
    func drain(into messages: inout [Message]) {
        Posix.eventFDReset(eventFD)
        state.withLock { state in
            swap(&state.messages, &messages)
            state.signalled = false
        }
    }

    /// Closes the eventfd; later posts are dropped (the eventfd is written under the lock, so a closed
    /// descriptor number is never written to).
    func close() {
        state.withLock { state in
            state.closed = true
            state.messages = []
            Posix.close(eventFD)
        }
    }
}
