import Foundation
import Synchronization

/// The host's one clock: every deadline, retry delay, sweep and poll is an action scheduled here. Made for many
/// short-lived deadlines that are nearly always cancelled (one per invocation): one thread and a wheel of
/// `tick`-wide slots, so scheduling and cancelling take a lock and a dictionary operation, and a finished
/// invocation leaves nothing behind. Actions fire up to one tick late, on the scheduler's thread: they must only
/// hand work on (resume a continuation, post to a mailbox, set a flag), never block.
public final class DeadlineScheduler: Sendable {
    /// The one scheduler everything uses.
    public static let shared = DeadlineScheduler()

    /// What `cancel` needs to find a scheduled action.
    public struct Ticket: Sendable {
        let slot: Int64
        let id: UInt64
    }

    private struct State {
        var slots: [Int64: [UInt64: @Sendable () -> Void]] = [:]
        var nextID: UInt64 = 0
        var lastFiredSlot: Int64
    }

    public let tick: Duration
    private let state: Mutex<State>
    private let epoch = ContinuousClock.now

    public init(tick: Duration = .milliseconds(50)) {
        self.tick = tick
        self.state = Mutex(State(lastFiredSlot: 0))
        let thread = Thread { [self] in run() }
        thread.name = "deadlines"
        thread.start()
    }

    /// Runs `action` once `delay` has passed, unless cancelled first.
    public func schedule(after delay: Duration, _ action: @escaping @Sendable () -> Void) -> Ticket {
        let due = slot(of: ContinuousClock.now + delay) + 1
        return state.withLock { state in
            let slot = max(due, state.lastFiredSlot + 1)
            state.nextID &+= 1
            state.slots[slot, default: [:]][state.nextID] = action
            return Ticket(slot: slot, id: state.nextID)
        }
    }

    /// Forgets a scheduled action; a no-op when it already ran.
    public func cancel(_ ticket: Ticket) {
        state.withLock { state in
            state.slots[ticket.slot]?[ticket.id] = nil
            if state.slots[ticket.slot]?.isEmpty == true { state.slots[ticket.slot] = nil }
        }
    }

    /// Suspends the calling task for `delay` (up to a tick more); throws `CancellationError` at once when the task
    /// is cancelled, so a sleeping retry or poll never holds up shutdown.
    public func sleep(for delay: Duration) async throws {
        let sleeper = Sleeper()
        let ticket = schedule(after: delay) { sleeper.wake(cancelled: false) }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                sleeper.wait(continuation)
            }
        } onCancel: {
            cancel(ticket)
            sleeper.wake(cancelled: true)
        }
    }

    /// One `sleep`: whichever of the deadline and cancellation comes first resumes it, once, whether or not the
    /// continuation is there yet.
    private final class Sleeper: Sendable {
        private enum State {
            case idle
            case waiting(CheckedContinuation<Void, any Error>)
            case woken(cancelled: Bool)
        }

        private let state = Mutex(State.idle)

        func wait(_ continuation: CheckedContinuation<Void, any Error>) {
            let early: Bool? = state.withLock { state in
                if case .woken(let cancelled) = state { return cancelled }
                state = .waiting(continuation)
                return nil
            }
            if let cancelled = early { Sleeper.resume(continuation, cancelled: cancelled) }
        }

        func wake(cancelled: Bool) {
            let waiting: CheckedContinuation<Void, any Error>? = state.withLock { state in
                switch state {
                case .idle:
                    state = .woken(cancelled: cancelled)
                    return nil
                case .waiting(let continuation):
                    state = .woken(cancelled: cancelled)
                    return continuation
                case .woken:
                    return nil
                }
            }
            if let waiting { Sleeper.resume(waiting, cancelled: cancelled) }
        }

        private static func resume(_ continuation: CheckedContinuation<Void, any Error>, cancelled: Bool) {
            if cancelled { continuation.resume(throwing: CancellationError()) } else { continuation.resume() }
        }
    }

    private func slot(of instant: ContinuousClock.Instant) -> Int64 {
        let elapsed = instant - epoch
        let tickNanoseconds = tick.components.seconds * 1_000_000_000 + tick.components.attoseconds / 1_000_000_000
        return (elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
            / tickNanoseconds
    }

    private func run() {
        while true {
            Thread.sleep(forTimeInterval: Double(tick.components.attoseconds) / 1e18 + Double(tick.components.seconds))
            let now = slot(of: .now)
            let due: [@Sendable () -> Void] = state.withLock { state in
                var actions: [@Sendable () -> Void] = []
                while state.lastFiredSlot < now {
                    state.lastFiredSlot += 1
                    if let slot = state.slots.removeValue(forKey: state.lastFiredSlot) {
                        actions.append(contentsOf: slot.values)
                    }
                }
                return actions
            }
            for action in due { action() }
        }
    }
}
