import Synchronization

/// Work that outlives the call that started it — a run past its answer deadline, a late reply's delivery, the
/// wait for a task's result — owned in one place, so shutdown can wait for all of it, cancel what is left, and
/// know when nothing runs any more.
public final class BackgroundTasks: Sendable {
    private struct Entry: Sendable {
        let cancel: @Sendable () -> Void
    }

    private struct State {
        var nextID: UInt64 = 0
        var entries: [UInt64: Entry] = [:]
        /// `waitForAll` callers, woken when `entries` empties.
        var idleWaiters: [Wakeup] = []
        var closed = false
    }

    /// Resumes one waiting call once, whichever of its causes comes first.
    private final class Wakeup: Sendable {
        private let continuation = Mutex<CheckedContinuation<Void, Never>?>(nil)

        init(_ continuation: CheckedContinuation<Void, Never>) {
            self.continuation.withLock { $0 = continuation }
        }

        func resume() {
            continuation.withLock { $0.take() }?.resume()
        }
    }

    private let state = Mutex(State())
    private let clock: DeadlineScheduler

    public init(clock: DeadlineScheduler = .shared) {
        self.clock = clock
    }

    /// How many tasks are running.
    public var count: Int { state.withLock { $0.entries.count } }

    /// Starts `body` in a task owned here (on `executor` when given). After `close()` nothing new starts: the
    /// result is `nil`, and the caller says what it drops.
    @discardableResult
    public func run<Value: Sendable>(
        on executor: (any TaskExecutor)? = nil, _ body: @escaping @Sendable () async throws -> Value
    ) -> Task<Value, any Error>? {
        state.withLock { state -> Task<Value, any Error>? in
            guard !state.closed else { return nil }
            state.nextID &+= 1
            let id = state.nextID
            let task = Task(executorPreference: executor) {
                defer { self.finished(id) }
                return try await body()
            }
            state.entries[id] = Entry(cancel: { task.cancel() })
            return task
        }
    }

    private func finished(_ id: UInt64) {
        let idle: [Wakeup] = state.withLock { state in
            state.entries[id] = nil
            guard state.entries.isEmpty else { return [] }
            defer { state.idleWaiters = [] }
            return state.idleWaiters
        }
        for wakeup in idle { wakeup.resume() }
    }

    /// Waits until no task runs, including tasks started meanwhile, or until `limit` passes. Returns whether
    /// everything finished.
    public func waitForAll(upTo limit: Duration) async -> Bool {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let wakeup = Wakeup(continuation)
            let idle = state.withLock { state in
                if state.entries.isEmpty { return true }
                state.idleWaiters.append(wakeup)
                return false
            }
            if idle {
                wakeup.resume()
            } else {
                _ = clock.schedule(after: limit) { wakeup.resume() }
            }
        }
        return count == 0
    }

    /// Cancels every running task (they end at their next suspension point; a C call runs to its end).
    public func cancelAll() {
        let cancels = state.withLock { $0.entries.values.map(\.cancel) }
        for cancel in cancels { cancel() }
    }

    /// Starts nothing new from now on.
    public func close() {
        state.withLock { $0.closed = true }
    }
}
