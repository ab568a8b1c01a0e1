import Foundation
import IntegrationContract
import JSON
import Logging
import Scheduling
import Synchronization

/// Runs integrations: builds their invocation, runs them off the I/O threads in parallel, and enforces deadlines.
public struct Dispatcher: Sendable {
    public let tokens: Tokens
    public let storage: Storage
    public let logger: HostLogger
    /// Owns every run's task and every wait for a late result, so shutdown can wait for them.
    public let background: BackgroundTasks
    /// One admission per integration name, with the limits it was made for.
    private let admissions = AdmissionTable()
    /// The executor a run's task should prefer, read when the run starts: the HTTP server's handler threads, so a
    /// fast integration costs no thread switch; `nil` for the global executor.
    public let preferredExecutor: @Sendable () -> (any TaskExecutor)?
    /// Every run's outcome and time, per integration (`GET /integrations`).
    public let statistics: RunStatistics

    public init(
        tokens: Tokens, storage: Storage, logger: HostLogger, background: BackgroundTasks = BackgroundTasks(),
        preferredExecutor: @escaping @Sendable () -> (any TaskExecutor)? = { nil },
        statistics: RunStatistics = RunStatistics()
    ) {
        self.tokens = tokens
        self.storage = storage
        self.logger = logger
        self.background = background
        self.preferredExecutor = preferredExecutor
        self.statistics = statistics
    }

    /// How a run ended.
    public enum Outcome: Sendable {
        case replied(Reply?)
        case failed(IntegrationError)
        /// The deadline passed first. The run goes on; `pending` can be awaited for its late result (deferred
        /// delivery) or cancelled.
        case timedOut(pending: Task<Reply?, any Error>)
    }

    /// The invocation for one run of `integration`: its own token is the room-specific one when the notification
    /// came from a room that has one for this integration.
    public func invocation(
        for integration: any Integration, notification: IntegrationContract.Notification, query: String, request: InvocationRequest,
        requestID: String, routeParameters: [String: String] = [:]
    ) -> Invocation {
        let room = notification.channel?.id
        return Invocation(
            notification: notification, query: query, allTokens: tokens,
            token: room.flatMap { tokens.token(room: $0, integration: integration.name) },
            storage: storage.namespace(integration.name),
            log: IntegrationLogger(integration: integration.name, requestID: requestID, host: logger),
            requestID: requestID, request: request, routeParameters: routeParameters)
    }

    /// Runs `integration` and waits for it up to `deadline`: in a new task, or in this one when its
    /// `runTimeBound` is under the deadline.
    public func run(_ integration: any Integration, _ invocation: Invocation, deadline: Duration) async -> Outcome {
        let started = ContinuousClock.now
        let log = invocation.log
        log.debug("running \(integration.name) query=\(invocation.query.count) chars")
        let outcome: Outcome
        if let bound = integration.runTimeBound, bound < deadline {
            do {
                outcome = .replied(try await integration.run(invocation))
            } catch {
                outcome = Dispatcher.failure(error)
            }
        } else {
            let admission = admissions.admission(for: integration.name, limits: integration.runLimits ?? .standard)
            let name = integration.name
            outcome = await run(deadline: deadline) {
                do {
                    try await admission.enter()
                } catch Admission.Refusal.queueFull {
                    throw IntegrationError.unavailable(
                        "\(name) is busy: \(admission.capacity) runs are going and \(admission.queueLimit) waiting",
                        retryAfter: 1)
                }
                defer { admission.leave() }
                return try await integration.run(invocation)
            }
        }
        let elapsed = ContinuousClock.now - started
        switch outcome {
        case .replied(let reply):
            statistics.record(integration.name, duration: elapsed, result: .replied)
            log.info("\(integration.name) finished in \(Dispatcher.milliseconds(elapsed)) ms, \(reply == nil ? "no reply" : "replied")")
        case .failed(let error):
            statistics.record(integration.name, duration: elapsed, result: .failed(error))
            // A caller that hangs up (a chat platform's short timeout, a load generator stopping) is no error here.
            log.log(
                error.status.code == Dispatcher.callerWentAway.status.code ? .notice : .error,
                "\(integration.name) failed after \(Dispatcher.milliseconds(elapsed)) ms: \(error.message)",
                throttle: "failed \(error.status.code)")
        case .timedOut:
            statistics.record(integration.name, duration: elapsed, result: .timedOut)
            log.log(
                .warning, "\(integration.name) passed its \(Dispatcher.milliseconds(deadline)) ms deadline",
                throttle: "deadline")
        }
        return outcome
    }

    /// Starts `body` in a task owned by `background` (on the preferred executor) and waits for it up to
    /// `deadline`. A run past its deadline is not cancelled: it comes back as `.timedOut(pending:)`. Once the host
    /// is shutting down and `background` is closed, nothing new starts: 503.
    ///
    /// A caller cancelled while it waits (the HTTP server cancels a handler whose client went away) cancels the run
    /// and gets `.failed` at once. Once the outcome is decided the run is no longer the caller's to cancel: a run
    /// past its deadline goes on for whoever took `.timedOut(pending:)` (an acked run delivered later).
    func run(deadline: Duration, _ body: @escaping @Sendable () async throws -> Reply?) async -> Outcome {
        let race = Race()
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                race.begin(continuation)
                let task = background.run(on: preferredExecutor()) {
                    do {
                        let reply = try await body()
                        race.decide(.replied(reply))
                        return reply
                    } catch {
                        race.decide(Dispatcher.failure(error))
                        throw error
                    }
                }
                guard let task else {
                    race.decide(.failed(IntegrationError.unavailable("the host is shutting down")))
                    return
                }
                race.own(task)
                race.arm(DeadlineScheduler.shared.schedule(after: deadline) { race.decide(.timedOut(pending: task)) })
            }
        } onCancel: {
            race.cancelRun()
        }
    }

    /// Waits for a task that is already running up to `deadline`, without cancelling it when the deadline passes
    /// first.
    public func race(_ task: Task<Reply?, any Error>, deadline: Duration) async -> Outcome {
        await withCheckedContinuation { continuation in
            let race = Race()
            race.begin(continuation)
            race.arm(DeadlineScheduler.shared.schedule(after: deadline) { race.decide(.timedOut(pending: task)) })
            let waiter = background.run { race.decide(await Dispatcher.outcome(of: task)) }
            if waiter == nil { race.decide(.timedOut(pending: task)) }
        }
    }

    /// What a run cancelled with its caller answers (nginx's "client closed request"); nobody reads it.
    static let callerWentAway = IntegrationError(status: 499, "cancelled: the caller went away")

    /// The first of a run, its deadline and its caller's cancellation to finish resumes the waiter; the others are
    /// ignored (and the deadline cancelled, so a finished run leaves nothing scheduled).
    private final class Race: Sendable {
        private struct State {
            var continuation: CheckedContinuation<Outcome, Never>?
            var decided = false
            /// An outcome decided before the waiter began (a caller cancelled before it waited).
            var early: Outcome?
            var deadline: DeadlineScheduler.Ticket?
            /// The run, while its caller may still cancel it.
            var run: Task<Reply?, any Error>?
            var callerCancelled = false
        }

        private typealias Decision = (
            run: Task<Reply?, any Error>?, continuation: CheckedContinuation<Outcome, Never>?,
            deadline: DeadlineScheduler.Ticket?
        )

        private let state = Mutex(State())

        func begin(_ continuation: CheckedContinuation<Outcome, Never>) {
            let early: Outcome? = state.withLock { state in
                defer { state.early = nil }
                if state.early == nil { state.continuation = continuation }
                return state.early
            }
            if let early { continuation.resume(returning: early) }
        }

        /// Records the run so a cancelled caller can cancel it; cancels it now if the caller already was.
        func own(_ run: Task<Reply?, any Error>) {
            let cancelNow = state.withLock { state in
                if !state.decided { state.run = run }
                return state.callerCancelled
            }
            if cancelNow { run.cancel() }
        }

        func arm(_ deadline: DeadlineScheduler.Ticket) {
            let alreadyDecided = state.withLock { state in
                state.deadline = deadline
                return state.decided
            }
            if alreadyDecided { DeadlineScheduler.shared.cancel(deadline) }
        }

        /// The caller was cancelled: so is the run, unless its outcome is already decided.
        func cancelRun() {
            let outcome = Outcome.failed(Dispatcher.callerWentAway)
            let decision = settle(outcome) { $0.callerCancelled = true }
            decision.run?.cancel()
            finish(decision, outcome)
        }

        func decide(_ outcome: Outcome) {
            finish(settle(outcome) { _ in }, outcome)
        }

        /// Marks the race decided (the first time only) and takes what the decision acts on.
        private func settle(_ outcome: Outcome, _ update: (inout State) -> Void) -> Decision {
            state.withLock { state in
                guard !state.decided else { return (nil, nil, nil) }
                state.decided = true
                update(&state)
                defer {
                    state.run = nil
                    state.continuation = nil
                }
                if state.continuation == nil { state.early = outcome }
                return (state.run, state.continuation, state.deadline)
            }
        }

        private func finish(_ decision: Decision, _ outcome: Outcome) {
            if let deadline = decision.deadline { DeadlineScheduler.shared.cancel(deadline) }
            decision.continuation?.resume(returning: outcome)
        }
    }

    /// The result of a finished (or late) run.
    public static func outcome(of task: Task<Reply?, any Error>) async -> Outcome {
        do {
            return .replied(try await task.value)
        } catch {
            return failure(error)
        }
    }

    /// A thrown error as an outcome: an `IntegrationError` keeps its status, anything else is a 500.
    static func failure(_ error: any Error) -> Outcome {
        .failed(IntegrationError(error))
    }

    public static func milliseconds(_ duration: Duration) -> Int {
        Int(duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000)
    }
}

/// The admission of each integration, made on first use and made again when its limits change (a reloaded file).
private final class AdmissionTable: Sendable {
    private let table = Mutex<[String: (limits: RunLimits, admission: Admission)]>([:])

    func admission(for name: String, limits: RunLimits) -> Admission {
        table.withLock { table in
            if let entry = table[name], entry.limits == limits { return entry.admission }
            let admission = Admission(capacity: max(1, limits.concurrent), queueLimit: max(0, limits.queued))
            table[name] = (limits, admission)
            return admission
        }
    }
}
