import Synchronization

/// How other threads talk to an event loop: a Mutex-guarded queue plus an eventfd that wakes the loop's
/// `epoll_wait`. Wakeups are batched: the eventfd is written only when the queue goes from "drained" to
/// "has work", however many messages arrive before the loop drains it. The eventfd is written after the lock is
/// released (a wakeup that preempts the poster must not leave the woken loop spinning on the lock), so it is
/// closed only when the last reference to the mailbox goes away.
final class LoopMailbox: Sendable {
    enum Message: Sendable {
        /// A finished response for the connection `fd` whose accept id is `connectionID`.
        case response(fd: Int32, connectionID: UInt64, bytes: [UInt8], close: Bool)
        /// Stop accepting, close idle connections, and exit once the rest finish or at `deadline` (monotonic ms).
        case shutdown(deadline: Int64)
        /// Check every connection's deadline now (posted by the clock every `sweepIntervalMS`).
        case sweep
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

    deinit {
        Posix.close(eventFD)
    }

    /// Queues a message; wakes the loop if it was not already woken.
    func post(_ message: Message) {
        let wake = state.withLock { state in
            guard !state.closed else { return false }
            state.messages.append(message)
            defer { state.signalled = true }
            return !state.signalled
        }
        if wake { Posix.eventFDSignal(eventFD) }
    }

    /// Queues several messages with at most one wakeup.
    func post(contentsOf batch: [Message]) {
        let wake = state.withLock { state in
            guard !state.closed else { return false }
            state.messages.append(contentsOf: batch)
            defer { state.signalled = true }
            return !state.signalled
        }
        if wake { Posix.eventFDSignal(eventFD) }
    }

    /// Takes every queued message. Called by the loop after its eventfd fired.
    func drain(into messages: inout [Message]) {
        Posix.eventFDReset(eventFD)
        state.withLock { state in
            swap(&state.messages, &messages)
            state.signalled = false
        }
    }

    /// Drops queued and later messages (the loop has exited).
    func close() {
        state.withLock { state in
            state.closed = true
            state.messages = []
        }
    }
}
