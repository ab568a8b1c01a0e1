import Foundation
import Glibc
import Scheduling
import Synchronization

/// The threads regex matching runs on, so a pattern that backtracks for its whole time limit never holds one of
/// the server's handler threads (`--regex-threads`, default 2, at nice 10 so that request handling comes first),
/// with at most 32 matches per thread waiting for one. A match's time limit counts from when it is asked for,
/// waiting included: one still waiting when its limit passes ends as timed out, so a run's regex step never takes
/// longer than its `regex_timeout_ms`. With the queue full a match is refused at once (the run answers 503 with
/// `Retry-After`). Cancelling the waiting task stops the match, waiting or running.
///
/// The pool is shared fairly: one owner (an integration) runs on at most half the threads (at least one) and holds
/// at most half the queue, so a flood of catastrophic matches from one integration leaves a thread and places in
/// the queue to the others; waiting matches are taken oldest first among the owners with a thread to spare.
public final class RegexPool: Sendable {
    public static let defaultThreads = 2
    /// How many matches may wait per thread.
    public static let queuedPerThread = 32
    /// The pool of hosts and manifests not given their own.
    public static let shared = RegexPool()

    public let threads: Int
    public let queueLimit: Int
    /// How many threads one owner's matches may run on at once.
    public let threadsPerOwner: Int
    /// How many matches of one owner may wait or run at once.
    public let queuePerOwner: Int

    /// The pool as one owner uses it: every match asked for through it counts against that owner's share.
    public struct Lane: Sendable {
        public let pool: RegexPool
        public let owner: String

        /// Matches `regex` against `text` on one of the pool's threads, as this lane's owner.
        func firstMatch(_ regex: SafeRegex, in text: String, timeout: Duration) async -> SafeRegex.Outcome {
            await pool.firstMatch(regex, in: text, timeout: timeout, owner: owner)
        }
    }

    /// The lane of `owner`.
    public func lane(for owner: String) -> Lane { Lane(pool: self, owner: owner) }

    /// One match asked for. Its mutable parts are guarded by the pool's state lock.
    private final class Job: @unchecked Sendable {
        enum Phase { case new, queued, running, done }
        let regex: SafeRegex
        let text: String
        let owner: String
        let deadline: ContinuousClock.Instant
        let cancelled = CancellationFlag()
        var phase = Phase.new
        var continuation: CheckedContinuation<SafeRegex.Outcome, Never>?
        var ticket: DeadlineScheduler.Ticket?

        init(regex: SafeRegex, text: String, owner: String, deadline: ContinuousClock.Instant) {
            self.regex = regex
            self.text = text
            self.owner = owner
            self.deadline = deadline
        }
    }

    private struct State {
        var queue: [Job] = []
        var idle: Int
        /// Matches running now (for tests and diagnostics).
        var running = 0
        /// Per owner with matches waiting or running: how many run, and how many in all.
        var owners: [String: (running: Int, held: Int)] = [:]

        /// Takes the oldest waiting match whose owner has a thread to spare.
        mutating func takeNext(threadsPerOwner: Int) -> Job? {
            guard let index = queue.firstIndex(where: { (owners[$0.owner]?.running ?? 0) < threadsPerOwner }) else { return nil }
            let job = queue.remove(at: index)
            job.phase = .running
            idle -= 1
            running += 1
            owners[job.owner, default: (0, 0)].running += 1
            return job
        }

        /// A match of `owner` left the pool, after running or not.
        mutating func release(_ owner: String, ran: Bool) {
            guard var share = owners[owner] else { return }
            share.held -= 1
            if ran { share.running -= 1 }
            owners[owner] = share.held == 0 ? nil : share
        }
    }

    private let state: Mutex<State>
    private let wakeups = DispatchSemaphore(value: 0)

    public init(threads: Int = RegexPool.defaultThreads) {
        self.threads = max(1, threads)
        queueLimit = self.threads * RegexPool.queuedPerThread
        threadsPerOwner = max(1, self.threads / 2)
        queuePerOwner = max(1, queueLimit / 2)
        state = Mutex(State(idle: self.threads))
        for index in 0..<self.threads {
            let thread = Thread { [self] in
                // On Linux this lowers the calling thread only. At nice 10, as exec programs run, a thread gets about
                // a tenth of a core that request handling wants: a catastrophic pattern mostly burns its time limit.
                _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 10)
                work()
            }
            thread.name = "regex-\(index)"
            thread.start()
        }
    }

    /// How many matches are running now.
    var running: Int { state.withLock { $0.running } }

    /// Matches `regex` against `text` on one of the pool's threads, giving up `timeout` after the call; the match
    /// counts against `owner`'s share of the pool.
    func firstMatch(_ regex: SafeRegex, in text: String, timeout: Duration, owner: String = "") async -> SafeRegex.Outcome {
        guard text.utf8.count <= regex.maxLength else { return .tooLong }
        let job = Job(regex: regex, text: text, owner: owner, deadline: .now + timeout)
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
            let share = state.owners[job.owner] ?? (0, 0)
            guard state.queue.count < queueLimit, share.held < queuePerOwner else { return (.busy, false) }
            job.continuation = continuation
            job.phase = .queued
            state.queue.append(job)
            state.owners[job.owner] = (share.running, share.held + 1)
            // Free to start now only with a thread idle for it and for every match ahead, and one of its owner's.
            return (nil, state.queue.count > state.idle || share.held >= threadsPerOwner)
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
            state.release(job.owner, ran: false)
            job.phase = .done
            defer { job.continuation = nil }
            return job.continuation
        }
        continuation?.resume(returning: outcome)
    }

    /// A thread's loop: takes what it may run, else sleeps until a match is asked for. A thread that finishes one
    /// looks again before sleeping, so a match waiting only for its owner's share starts as soon as that frees.
    private func work() {
        let threadsPerOwner = self.threadsPerOwner
        while true {
            guard let job = state.withLock({ $0.takeNext(threadsPerOwner: threadsPerOwner) }) else {
                wakeups.wait()
                continue
            }
            if let ticket = state.withLock({ _ in job.ticket }) { DeadlineScheduler.shared.cancel(ticket) }
            let outcome =
                ContinuousClock.now >= job.deadline
                ? .timedOut : job.regex.firstMatch(in: job.text, until: job.deadline, cancelled: job.cancelled)
            let (continuation, othersWait): (CheckedContinuation<SafeRegex.Outcome, Never>?, Bool) = state.withLock { state in
                state.idle += 1
                state.running -= 1
                state.release(job.owner, ran: true)
                job.phase = .done
                defer { job.continuation = nil }
                return (job.continuation, state.queue.count > 1)
            }
            // This thread takes one waiting match next; a sleeping thread may now be free to take another (one
            // that waited for this owner's share).
            if othersWait { wakeups.signal() }
            continuation?.resume(returning: outcome)
        }
    }
}
