import Synchronization

/// At most `capacity` holders at once and at most `queueLimit` callers waiting for a turn, first come first
/// served. A caller past the queue limit is refused at once (the host answers 503 with `Retry-After`); a waiting
/// caller whose task is cancelled leaves the queue and never gets a turn.
public final class Admission: Sendable {
    /// Why `enter` did not admit the caller.
    public enum Refusal: Error, Sendable {
        /// `queueLimit` callers were already waiting.
        case queueFull
    }

    private struct Waiter {
        let id: UInt64
        let continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var holders = 0
        var waiters: [Waiter] = []
        var nextID: UInt64 = 0
    }

    public let capacity: Int
    public let queueLimit: Int
    private let state = Mutex(State())

    public init(capacity: Int, queueLimit: Int) {
        precondition(capacity > 0 && queueLimit >= 0)
        self.capacity = capacity
        self.queueLimit = queueLimit
    }

    /// How many hold a turn and how many wait.
    public var load: (holders: Int, waiting: Int) { state.withLock { ($0.holders, $0.waiters.count) } }

    /// Takes a turn, waiting for one if all are held. Throws `Refusal.queueFull` at once when the queue is full, and
    /// `CancellationError` when the task is cancelled before its turn came. Every successful `enter` needs one
    /// `leave`.
    public func enter() async throws {
        try Task.checkCancellation()
        // The common case, a free turn and nobody waiting, takes it without suspending.
        let id: UInt64? = state.withLock { state in
            if state.holders < capacity, state.waiters.isEmpty {
                state.holders += 1
                return nil
            }
            state.nextID &+= 1
            return state.nextID
        }
        guard let id else { return }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let verdict: Result<Void, any Error>? = state.withLock { state in
                    if Task.isCancelled { return .failure(CancellationError()) }
                    if state.holders < capacity {
                        state.holders += 1
                        return .success(())
                    }
                    guard state.waiters.count < queueLimit else { return .failure(Refusal.queueFull) }
                    state.waiters.append(Waiter(id: id, continuation: continuation))
                    return nil
                }
                if let verdict { continuation.resume(with: verdict) }
            }
        } onCancel: {
            let removed = state.withLock { state -> Waiter? in
                guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return state.waiters.remove(at: index)
            }
            removed?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Gives the turn back: to the first waiter, if any.
    public func leave() {
        let next = state.withLock { state -> Waiter? in
            guard !state.waiters.isEmpty else {
                state.holders -= 1
                return nil
            }
            return state.waiters.removeFirst()
        }
        next?.continuation.resume()
    }
}
