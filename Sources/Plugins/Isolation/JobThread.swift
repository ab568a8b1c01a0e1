import Foundation
import Synchronization

/// A thread of its own for blocking work, fed one job at a time: a plugin worker's host side reads and writes its
/// socket here, so whatever the worker does, it holds this thread and nothing else.
final class JobThread: Sendable {
    private let state = Mutex<(jobs: [@Sendable () -> Void], stopped: Bool)>(([], false))
    private let wakeup = DispatchSemaphore(value: 0)

    init(name: String) {
        let thread = Thread { [self] in run() }
        thread.name = name
        thread.start()
    }

    /// Runs `job` on the thread and returns its result.
    func perform<Value: Sendable>(_ job: @escaping @Sendable () -> Value) async -> Value {
        await withCheckedContinuation { continuation in
            submit { continuation.resume(returning: job()) }
        }
    }

    /// Runs `job` on the thread and waits for it on the calling one.
    func performBlocking<Value: Sendable>(_ job: @escaping @Sendable () -> Value) -> Value {
        let done = DispatchSemaphore(value: 0)
        let result = Mutex<Value?>(nil)
        submit {
            let value = job()
            result.withLock { $0 = value }
            done.signal()
        }
        done.wait()
        return result.withLock { $0 }!
    }

    /// Ends the thread once its current job returns; jobs submitted later run on a new thread of their own.
    func stop() {
        state.withLock { $0.stopped = true }
        wakeup.signal()
    }

    private func submit(_ job: @escaping @Sendable () -> Void) {
        let accepted = state.withLock { state in
            guard !state.stopped else { return false }
            state.jobs.append(job)
            return true
        }
        if accepted {
            wakeup.signal()
        } else {
            Thread.detachNewThread(job)
        }
    }

    private func run() {
        while true {
            wakeup.wait()
            let (jobs, stopped) = state.withLock { state in
                defer { state.jobs = [] }
                return (state.jobs, state.stopped)
            }
            for job in jobs { job() }
            if stopped { return }
        }
    }
}
