import Foundation
import Synchronization

/// Dedicated threads for blocking plugin calls, apart from Swift's cooperative pool: a slow or stuck plugin holds
/// one of these threads, never a thread the async runtime needs. Jobs wait in a FIFO queue when all threads are busy.
public final class PluginWorkerPool: Sendable {
    /// The pool plugin integrations use unless given another: `PLUGIN_THREADS` threads (1-256), by default as many
    /// as cores but at least 4. More threads than cores only pay off for plugins that block (network calls, sleeps);
    /// for ones that compute they contend for the cores and for their storage namespace's lock.
    public static let shared = PluginWorkerPool(
        threads: ProcessInfo.processInfo.environment["PLUGIN_THREADS"].flatMap(Int.init).map { max(1, min($0, 256)) }
            ?? max(4, ProcessInfo.processInfo.activeProcessorCount))

    public let threadCount: Int
    private let queue = Mutex(JobQueue())
    private let waiting = DispatchSemaphore(value: 0)

    private struct JobQueue {
        var jobs: [(@Sendable () -> Void)?] = []
        var head = 0

        mutating func push(_ job: @escaping @Sendable () -> Void) { jobs.append(job) }

        mutating func pop() -> (@Sendable () -> Void)? {
            guard head < jobs.count else { return nil }
            let job = jobs[head]
            jobs[head] = nil
            head += 1
            if head == jobs.count || head >= 1024 {
                jobs.removeFirst(head)
                head = 0
            }
            return job
        }
    }

    /// Starts `threads` threads; they live as long as the process.
    public init(threads: Int) {
        precondition(threads > 0, "a worker pool needs at least one thread")
        threadCount = threads
        for index in 0..<threads {
            let thread = Thread { [self] in work() }
            thread.name = "plugin-\(index)"
            thread.start()
        }
    }

    /// Runs `body` on a pool thread and returns its result. If the task is cancelled first (the dispatcher's
    /// deadline), this returns at once by throwing `CancellationError`; `body` still runs to its end on its thread,
    /// since a C call cannot be interrupted, and its result is dropped.
    public func run<T: Sendable>(_ body: @escaping @Sendable () -> T) async throws -> T {
        let waiter = Waiter<T>()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                guard waiter.install(continuation) else { return }
                submit { waiter.resume(with: .success(body())) }
            }
        } onCancel: {
            waiter.resume(with: .failure(CancellationError()))
        }
    }

    private func submit(_ job: @escaping @Sendable () -> Void) {
        queue.withLock { $0.push(job) }
        waiting.signal()
    }

    private func work() {
        while true {
            waiting.wait()
            if let job = queue.withLock({ $0.pop() }) { job() }
        }
    }
}

/// Resumes one continuation exactly once, whichever comes first: the result or the cancellation.
private final class Waiter<T: Sendable>: Sendable {
    private enum State {
        case idle
        case waiting(CheckedContinuation<T, any Error>)
        case cancelledEarly
        case done
    }

    private let state = Mutex(State.idle)

    /// Stores the continuation; `false` (after resuming it with `CancellationError`) if cancellation came first.
    func install(_ continuation: CheckedContinuation<T, any Error>) -> Bool {
        let cancelled = state.withLock { state in
            if case .cancelledEarly = state {
                state = .done
                return true
            }
            state = .waiting(continuation)
            return false
        }
        if cancelled { continuation.resume(throwing: CancellationError()) }
        return !cancelled
    }

    func resume(with result: Result<T, any Error>) {
        let continuation: CheckedContinuation<T, any Error>? = state.withLock { state in
            switch state {
            case .idle:
                state = .cancelledEarly
                return nil
            case .waiting(let continuation):
                state = .done
                return continuation
            case .cancelledEarly, .done:
                return nil
            }
        }
        continuation?.resume(with: result)
    }
}
