import Glibc
import IntegrationContract
import Logging
import Scheduling
import Synchronization

/// One plugin's workers: at most `workers` calls at once and `queueLimit` waiting (503 past it), idle workers kept
/// warm, a worker killed when its call is cancelled (its deadline passed), a crashed one restarted on demand after a
/// backoff, and the plugin marked unavailable after `crashLimit` crashes in `crashWindow`.
final class PluginSupervisor: Sendable {
    let name: String
    let isolation: PluginIsolation
    private let copy: PluginCopy
    private let admission: Admission
    private let state: Mutex<State>
    private let crashTotal = Atomic<Int>(0)
    /// The keys the plugin's calls read lately, sent ahead with each call.
    let prefetched = PrefetchedKeys()

    private struct State {
        var idle: [IdleWorker] = []
        var crashes: [ContinuousClock.Instant] = []
        var backoff: Duration
        var restartAt = ContinuousClock.now
        var unavailable: String?
    }

    /// A worker between calls, and since when.
    private struct IdleWorker {
        let worker: WorkerProcess
        let since: ContinuousClock.Instant
    }

    /// How long a worker may have been idle before check-out asks whether it is still alive: one that died while
    /// idle (its CPU limit ending a thread it left spinning, the OOM killer) would otherwise cost the next call a
    /// 502. Under load workers come back within this, and are taken without the system call.
    static let idleBeforeLivenessCheck = Duration.milliseconds(100)

    /// - Parameters:
    ///   - copy: the plugin's private copy, which every worker loads; removed when the supervisor goes away.
    ///   - first: the worker that loaded the plugin, kept as the first idle one when it may serve calls.
    init(name: String, isolation: PluginIsolation, copy: PluginCopy, first: WorkerProcess?) {
        self.name = name
        self.isolation = isolation
        self.copy = copy
        self.admission = Admission(capacity: max(1, isolation.workers(for: name)), queueLimit: isolation.queueLimit)
        self.state = Mutex(
            State(idle: first.map { [IdleWorker(worker: $0, since: .now)] } ?? [], backoff: isolation.firstBackoff))
    }

    deinit {
        for idle in state.withLock({ $0.idle }) { idle.worker.retire() }
        copy.remove()
    }

    var unavailableReason: String? { state.withLock { $0.unavailable } }

    /// Every crash since this supervisor started (each one's worker is replaced by a fresh start).
    var crashCount: Int { crashTotal.load(ordering: .relaxed) }

    func restart() {
        state.withLock { state in
            state.unavailable = nil
            state.crashes = []
            state.backoff = isolation.firstBackoff
            state.restartAt = .now
        }
    }

    /// Runs one call on a worker: waits for a turn, takes an idle worker or starts one, and answers with the
    /// plugin's reply or error, 502 when the worker crashed, 503 when the plugin is unavailable or too many calls
    /// wait. A cancelled call (its deadline passed, or its caller went away) has `cancelledCallGrace` to end before
    /// its worker is killed.
    func run(_ invocation: Invocation) async throws -> Reply? {
        if let reason = unavailableReason {
            throw IntegrationError.unavailable("plugin unavailable: \(reason)", retryAfter: 30)
        }
        do {
            try await admission.enter()
        } catch Admission.Refusal.queueFull {
            throw IntegrationError.unavailable(
                "plugin busy: \(isolation.queueLimit) calls are already waiting", retryAfter: 1)
        }
        defer { admission.leave() }
        try Task.checkCancellation()
        let worker = try await checkOut(invocation.log)
        if Task.isCancelled {
            // Cancelled while waiting for a worker: dropped before it starts, never run.
            checkIn(worker)
            throw CancellationError()
        }
        let request = PluginRequest.encode(invocation, integration: name)
        let cancellation = CallCancellation(worker: worker, grace: isolation.cancelledCallGrace)
        let started = ContinuousClock.now
        let outcome = await withTaskCancellationHandler {
            await worker.call(
                request: Array(request.bytes[0..<request.count]), storage: invocation.storage, prefetched: prefetched,
                log: invocation.log)
        } onCancel: {
            cancellation.cancel()
        }
        worker.addCallTime(ContinuousClock.now - started)
        switch cancellation.finish() {
        case .notCancelled:
            return try settle(outcome, of: worker, log: invocation.log)
        case .cancelledInTime:
            // Nobody waits for the answer any more; the worker ended its call and serves the next one (or, if it
            // crashed, counts as crashed).
            _ = try? settle(outcome, of: worker, log: invocation.log)
            throw CancellationError()
        case .killed:
            // The kill went out, whether or not the call had finished by then (a result can be on its way): the
            // worker is never checked in again, and its end is no crash.
            worker.retire()
            invocation.log.warning(
                "plugin worker \(worker.pid) killed: the run was cancelled (its deadline passed or its caller went away) and did not end within \(isolation.cancelledCallGrace)")
            throw CancellationError()
        }
    }

    /// The call's answer; its worker back among the idle ones, or counted as crashed.
    private func settle(_ outcome: WorkerProcess.CallOutcome, of worker: WorkerProcess, log: IntegrationLogger) throws -> Reply? {
        switch outcome {
        case .reply(let reply):
            checkIn(worker, log: log)
            return reply
        case .failure(let error):
            checkIn(worker, log: log)
            throw error
        case .died(let exit, let protocolError):
            let problem = protocolError.map { "broke the worker protocol (\($0))" } ?? "crashed (\(exit))"
            crashed(problem: problem, exit: exit, worker: worker.pid, log: log)
            throw IntegrationError.badGateway("plugin \(problem)")
        }
    }

    /// An idle worker that is still alive, or a new one once the restart backoff allows. A worker found dead counts
    /// as a crash of its plugin (with its cause in the log), not of this call.
    private func checkOut(_ log: IntegrationLogger) async throws -> WorkerProcess {
        while let idle = state.withLock({ $0.idle.popLast() }) {
            if ContinuousClock.now - idle.since < Self.idleBeforeLivenessCheck || idle.worker.isAlive {
                return idle.worker
            }
            let exit = idle.worker.retire()
            crashed(problem: "died while idle (\(exit))", exit: exit, worker: idle.worker.pid, log: log)
        }
        let wait = state.withLock { $0.restartAt } - .now
        if wait > .zero { try await DeadlineScheduler.shared.sleep(for: wait) }
        let launch = WorkerProcess.Launch(
            executable: isolation.workerExecutable, plugin: copy.path, name: name, options: isolation.workerOptions(for: name),
            timeout: isolation.loadTimeout)
        switch await WorkerProcess.start(launch) {
        case .success(let (worker, _)):
            log.debug("plugin worker \(worker.pid) started")
            return worker
        case .failure(let error):
            crashed(problem: "could not be restarted (\(error.message))", exit: nil, worker: nil, log: log)
            throw IntegrationError.badGateway("plugin could not be restarted: \(error.message)")
        }
    }

    private func checkIn(_ worker: WorkerProcess, log: IntegrationLogger? = nil) {
        if let retirement = isolation.workerRetirement, worker.callTime >= retirement {
            // Between calls, so nothing is lost: the next call starts a fresh worker, with a fresh CPU allowance.
            worker.retire()
            log?.info("plugin \(name) worker \(worker.pid) replaced after \(worker.callTime) of calls, before its CPU limit")
            return
        }
        state.withLock { state in
            state.idle.append(IdleWorker(worker: worker, since: .now))
            state.backoff = isolation.firstBackoff
        }
    }

    /// Counts a crash: the next start waits out the backoff (doubling each time), and past `crashLimit` crashes
    /// in the window the plugin is unavailable until its file changes or SIGHUP.
    private func crashed(problem: String, exit: WorkerProcess.Exit?, worker: pid_t?, log: IntegrationLogger) {
        let now = ContinuousClock.now
        crashTotal.add(1, ordering: .relaxed)
        let (backoff, unavailable) = state.withLock { state in
            state.crashes = state.crashes.filter { now - $0 < isolation.crashWindow } + [now]
            let backoff = state.backoff
            state.restartAt = now + backoff
            state.backoff = min(backoff * 2, isolation.maxBackoff)
            if state.crashes.count >= isolation.crashLimit {
                state.unavailable = "it crashed \(state.crashes.count) times in \(isolation.crashWindow) (last: \(problem))"
            }
            return (backoff, state.unavailable)
        }
        let process = worker.map { " (worker \($0))" } ?? ""
        log.error("plugin \(name) \(problem)\(process)\(cause(of: exit)); next start in \(backoff)")
        if let unavailable { log.error("plugin \(name) is unavailable: \(unavailable); a changed file or SIGHUP revives it") }
    }

    /// What a worker's end says about why: a CPU limit, or a peak near the memory limit.
    private func cause(of exit: WorkerProcess.Exit?) -> String {
        guard let exit else { return "" }
        if exit.signal == SIGXCPU { return ", at its CPU limit" }
        if let limit = isolation.memoryLimit, exit.peakMemory >= limit / 10 * 9 {
            return ", at its memory limit of \(limit >> 20) MiB (peak \(exit.peakMemory >> 20) MiB)"
        }
        return ""
    }
}

/// One call's cancellation: `cancel` gives the call `grace` to end, then kills its worker, unless `finish` came
/// first. The state is one lock, so a kill never lands on a worker already back among the idle ones.
private final class CallCancellation: Sendable {
    /// How a call ended, as far as cancelling it goes.
    enum Ending {
        case notCancelled
        case cancelledInTime
        case killed
    }

    private enum State {
        case running
        case cancelled(DeadlineScheduler.Ticket)
        case ended(Ending)
    }

    private let worker: WorkerProcess
    private let grace: Duration
    private let state = Mutex(State.running)

    init(worker: WorkerProcess, grace: Duration) {
        self.worker = worker
        self.grace = grace
    }

    func cancel() {
        state.withLock { state in
            guard case .running = state else { return }
            state = .cancelled(DeadlineScheduler.shared.schedule(after: grace) { [self] in kill() })
        }
    }

    private func kill() {
        state.withLock { state in
            guard case .cancelled = state else { return }
            worker.kill()
            state = .ended(.killed)
        }
    }

    /// Called once the call returned: whether it was cancelled, and whether its worker was killed.
    func finish() -> Ending {
        state.withLock { state in
            switch state {
            case .running:
                state = .ended(.notCancelled)
                return .notCancelled
            case .cancelled(let ticket):
                DeadlineScheduler.shared.cancel(ticket)
                state = .ended(.cancelledInTime)
                return .cancelledInTime
            case .ended(let ending):
                return ending
            }
        }
    }
}
