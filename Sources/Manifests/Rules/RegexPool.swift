import Foundation
import Glibc
import Scheduling
import Synchronization

/// The threads regex matching runs on, so a pattern that backtracks for its whole time limit never holds one of
/// the server's handler threads (`--regex-threads`, default 2, at nice 5 so that request handling comes first),
/// with at most 32 matches per thread waiting for one. A match's time limit counts from when it is asked for,
/// waiting included: one still waiting when its limit passes ends as timed out, so a run's regex step never takes
/// longer than its `regex_timeout_ms`. With the queue full a match is refused at once (the run answers 503 with
/// `Retry-After`). Cancelling the waiting task stops the match, waiting or running.
public final class RegexPool: Sendable {
    public static let defaultThreads = 2
    /// How many matches may wait per thread.
    public static let queuedPerThread = 32
    /// The pool of hosts and manifests not given their own.
    public static let shared = RegexPool()

    public let threads: Int
    public let queueLimit: Int

    /// One match asked for. Its mutable parts are guarded by the pool's state lock.
    private final class Job: @unchecked Sendable {
        enum Phase { case new, queued, running, done }
        let regex: SafeRegex
        let text: String
        let deadline: ContinuousClock.Instant
        let cancelled = CancellationFlag()
        var phase = Phase.new
        var continuation: CheckedContinuation<SafeRegex.Outcome, Never>?
        var ticket: DeadlineScheduler.Ticket?

        init(regex: SafeRegex, text: String, deadline: ContinuousClock.Instant) {
            self.regex = regex
            self.text = text
            self.deadline = deadline
        }
    }

    private struct State {
        var queue: [Job] = []
        var idle: Int
        /// Matches running now (for tests and diagnostics).
        var running = 0
    }

    private let state: Mutex<State>
    private let wakeups = DispatchSemaphore(value: 0)

    public init(threads: Int = RegexPool.defaultThreads) {
        self.threads = max(1, threads)
        queueLimit = self.threads * RegexPool.queuedPerThread
        state = Mutex(State(idle: self.threads))
        for index in 0..<self.threads {
            let thread = Thread { [self] in
                // On Linux this lowers the calling thread only.
                _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 5)
                work()
            }
            thread.name = "regex-\(index)"
            thread.start()
        }
    }

    /// How many matches are running now.
    var running: Int { state.withLock { $0.running } }

    /// Matches `regex` against `text` on one of the pool's threads, giving up `timeout` after the call.
    func firstMatch(_ regex: SafeRegex, in text: String, timeout: Duration) async -> SafeRegex.Outcome {
        guard text.utf8.count <= regex.maxLength else { return .tooLong }
        let job = Job(regex: regex, text: text, deadline: .now + timeout)
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in submit(job, continuation, timeout: timeout) }
        } onCancel: {
            job.cancelled.set()
            finishWaiting(job, as: .timedOut)
        }
    }

    private func submit(_ job: Job, _ continuation: CheckedContinuation<SafeRegex.Outcome, Never>, timeout: Duration) {
        let (refusal, mustWait): (SafeRegex.Outcome?, Bool) = state.withLock { state in
            if job.cancelled.isSet { return (.timedOut, false) }
            guard state.queue.count < queueLimit else { return (.busy, false) }
            job.continuation = continuation
            job.phase = .queued
            state.queue.append(job)
            return (nil, state.queue.count > state.idle)
        }
        if let refusal {
            continuation.resume(returning: refusal)
            return
        }
        wakeups.signal()
        // Behind busy threads: the clock ends the wait at the deadline.
        guard mustWait else { return }
        let ticket = DeadlineScheduler.shared.schedule(after: timeout) { [self] in finishWaiting(job, as: .timedOut) }
        let started = state.withLock { state in
            if job.phase == .queued { job.ticket = ticket }
            return job.phase != .queued
        }
        if started { DeadlineScheduler.shared.cancel(ticket) }
    }

    /// Ends a job that is still waiting with `outcome`; one already running or done is left alone.
    private func finishWaiting(_ job: Job, as outcome: SafeRegex.Outcome) {
        let continuation: CheckedContinuation<SafeRegex.Outcome, Never>? = state.withLock { state in
            guard job.phase == .queued else { return nil }
            state.queue.removeAll { $0 === job }
            job.phase = .done
            defer { job.continuation = nil }
            return job.continuation
        }
        continuation?.resume(returning: outcome)
    }

    private func work() {
        while true {
            wakeups.wait()
            let job: Job? = state.withLock { state in
                guard !state.queue.isEmpty else { return nil }
                let job = state.queue.removeFirst()
                job.phase = .running
                state.idle -= 1
                state.running += 1
                return job
            }
            guard let job else { continue }
            if let ticket = state.withLock({ _ in job.ticket }) { DeadlineScheduler.shared.cancel(ticket) }
            let outcome =
                ContinuousClock.now >= job.deadline
                ? .timedOut : job.regex.firstMatch(in: job.text, until: job.deadline, cancelled: job.cancelled)
            let continuation: CheckedContinuation<SafeRegex.Outcome, Never>? = state.withLock { state in
                state.idle += 1
                state.running -= 1
                job.phase = .done
                defer { job.continuation = nil }
                return job.continuation
            }
            continuation?.resume(returning: outcome)
        }
    }
}
