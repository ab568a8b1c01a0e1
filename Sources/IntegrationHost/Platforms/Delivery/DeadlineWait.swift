import Synchronization

/// Waits for a running task up to a limit without cancelling it: either its result, or `nil` with the task
/// still running so its result can be awaited later.
enum DeadlineWait {
    static func result<Success: Sendable>(
        of task: Task<Success, any Error>, within limit: Duration
    ) async -> Result<Success, any Error>? {
        let waiter = Waiter<Result<Success, any Error>?>()
        return await withCheckedContinuation { continuation in
            waiter.install(continuation)
            let timer = Task {
                try? await Task.sleep(for: limit)
                waiter.resume(with: nil)
            }
            Task {
                let result = await task.result
                timer.cancel()
                waiter.resume(with: result)
            }
        }
    }

    /// A continuation resumed by whichever side comes first.
    private final class Waiter<Value: Sendable>: Sendable {
        private let continuation = Mutex<CheckedContinuation<Value, Never>?>(nil)

        func install(_ continuation: CheckedContinuation<Value, Never>) {
            self.continuation.withLock { $0 = continuation }
        }

        func resume(with value: Value) {
            let taken = continuation.withLock { stored -> CheckedContinuation<Value, Never>? in
                defer { stored = nil }
                return stored
            }
            taken?.resume(returning: value)
        }
    }
}
