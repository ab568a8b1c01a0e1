import Foundation
import HTTPServer
import JSON
import Synchronization

/// Runs integrations: builds their invocation, runs them off the I/O threads in parallel, and enforces deadlines.
public struct Dispatcher: Sendable {
    public let tokens: Tokens
    public let storage: Storage
    public let logger: HostLogger

    public init(tokens: Tokens, storage: Storage, logger: HostLogger) {
        self.tokens = tokens
        self.storage = storage
        self.logger = logger
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
        for integration: any Integration, notification: Notification, query: String, request: HTTPRequest,
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

    /// Runs `integration` in a new task and waits for it up to `deadline`.
    public func run(_ integration: any Integration, _ invocation: Invocation, deadline: Duration) async -> Outcome {
        let started = ContinuousClock.now
        let log = invocation.log
        log.debug("running \(integration.name) query=\(invocation.query.count) chars")
        // On the global concurrent executor, not the HTTP handler threads a handler's tasks would inherit: runs of
        // CPU-bound integrations proceed in parallel and never hold up the server's response path.
        let task = Task(executorPreference: globalConcurrentExecutor) { try await integration.run(invocation) }
        let outcome = await Dispatcher.race(task, deadline: deadline)
        let elapsed = ContinuousClock.now - started
        switch outcome {
        case .replied(let reply):
            log.info("\(integration.name) finished in \(Dispatcher.milliseconds(elapsed)) ms, \(reply == nil ? "no reply" : "replied")")
        case .failed(let error):
            log.error("\(integration.name) failed after \(Dispatcher.milliseconds(elapsed)) ms: \(error.message)")
        case .timedOut:
            log.warning("\(integration.name) passed its \(Dispatcher.milliseconds(deadline)) ms deadline")
        }
        return outcome
    }

    /// Waits for `task` up to `deadline`, without cancelling it when the deadline passes first.
    public static func race(_ task: Task<Reply?, any Error>, deadline: Duration) async -> Outcome {
        await withCheckedContinuation { continuation in
            let race = Race(continuation)
            race.arm(Task {
                do { try await Task.sleep(for: deadline) } catch { return }
                race.decide(.timedOut(pending: task))
            })
            Task { race.decide(await Dispatcher.outcome(of: task)) }
        }
    }

    /// The first of a run and its timer to finish resumes the waiter; the loser is ignored (and the timer
    /// cancelled, so a finished run leaves no sleeping task behind).
    private final class Race: Sendable {
        private let continuation: CheckedContinuation<Outcome, Never>
        private let state = Mutex<(decided: Bool, timer: Task<Void, Never>?)>((false, nil))

        init(_ continuation: CheckedContinuation<Outcome, Never>) { self.continuation = continuation }

        func arm(_ timer: Task<Void, Never>) {
            let alreadyDecided = state.withLock { state in
                state.timer = timer
                return state.decided
            }
            if alreadyDecided { timer.cancel() }
        }

        func decide(_ outcome: Outcome) {
            let (first, timer) = state.withLock { state in
                defer { state.decided = true }
                return (!state.decided, state.timer)
            }
            guard first else { return }
            timer?.cancel()
            continuation.resume(returning: outcome)
        }
    }

    /// The result of a finished (or late) run.
    public static func outcome(of task: Task<Reply?, any Error>) async -> Outcome {
        do {
            return .replied(try await task.value)
        } catch let error as IntegrationError {
            return .failed(error)
        } catch {
            return .failed(IntegrationError(status: 500, "\(error)"))
        }
    }

    static func milliseconds(_ duration: Duration) -> Int {
        Int(duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000)
    }
}

/// Request ids: 16 hex digits, random, unique enough to grep logs by.
public enum RequestID {
    public static func make() -> String {
        String(UInt64.random(in: .min ... .max), radix: 16).leftPadded(to: 16)
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
