import Foundation
import HTTPClient
import Logging
import Scheduling
import Synchronization

/// Sends late replies and follow-ups: one POST per message through the `OutboundClient`, retried with backoff on network
/// errors, 5xx, 429 and transient Slack Web API errors (after the `Retry-After` the destination asks for, when it
/// fits the policy's retry budget), within the destination's budget, falling back to the message's second
/// destination when the first is spent or refuses. Every outcome is logged, without URLs' paths or any header value.
public final class ReplyDeliverer: Sendable {
    /// What became of a message.
    public enum Outcome: Sendable, Equatable {
        /// Accepted with a 2xx after `attempts` tries at the destination that took it.
        case delivered(status: Int, attempts: Int)
        /// Refused for good, or still failing after every retry.
        case failed(reason: String)
        /// The destination's budget was spent and there was no fallback.
        case overBudget
    }

    public let policy: RetryPolicy
    public let budget: ResponseURLBudget
    private let client: OutboundClient
    private let logger: HostLogger?
    private let sleep: @Sendable (Duration) async throws -> Void
    private let inFlight = Atomic<Int>(0)
    private let deliveredCount = Atomic<Int>(0)
    private let failedCount = Atomic<Int>(0)
    private let overBudgetCount = Atomic<Int>(0)

    /// How many messages are being delivered now (retries and backoffs included).
    public var pending: Int { inFlight.load(ordering: .relaxed) }

    /// How many messages ended each way since the start (`/metrics`).
    public var outcomes: (delivered: Int, failed: Int, overBudget: Int) {
        (deliveredCount.load(ordering: .relaxed), failedCount.load(ordering: .relaxed),
            overBudgetCount.load(ordering: .relaxed))
    }

    /// `sleep` waits between tries (the host's clock unless a test records the waits instead); it throws when the
    /// task is cancelled.
    public init(
        client: OutboundClient = OutboundClient(), policy: RetryPolicy = RetryPolicy(),
        budget: ResponseURLBudget = ResponseURLBudget(), logger: HostLogger? = nil,
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await DeadlineScheduler.shared.sleep(for: $0) }
    ) {
        self.client = client
        self.policy = policy
        self.budget = budget
        self.logger = logger
        self.sleep = sleep
    }

    /// Delivers `message`, or its fallback; `requestID` tags the log lines.
    @discardableResult
    public func deliver(_ message: OutboundMessage, requestID: String) async -> Outcome {
        inFlight.add(1, ordering: .relaxed)
        let outcome = await deliverOrFallBack(message, requestID: requestID)
        inFlight.subtract(1, ordering: .relaxed)
        switch outcome {
        case .delivered: deliveredCount.add(1, ordering: .relaxed)
        case .failed: failedCount.add(1, ordering: .relaxed)
        case .overBudget: overBudgetCount.add(1, ordering: .relaxed)
        }
        return outcome
    }

    private func deliverOrFallBack(_ message: OutboundMessage, requestID: String) async -> Outcome {
        var current: OutboundMessage? = message
        var outcome = Outcome.overBudget
        while let next = current {
            current = next.fallback?.message
            if let key = next.budgetKey, !budget.take(key) {
                log(.warning, "reply to \(next.logDestination) skipped: its budget of \(budget.limit) posts is spent", requestID)
                outcome = .overBudget
                continue
            }
            outcome = await post(next, requestID: requestID)
            switch outcome {
            case .delivered: return outcome
            case .failed, .overBudget: break
            }
            if current != nil { log(.info, "trying the fallback destination", requestID) }
        }
        return outcome
    }

    private func post(_ message: OutboundMessage, requestID: String) async -> Outcome {
        let request = OutboundRequest(
            method: "POST", url: message.url, headers: [("Content-Type", message.contentType)] + message.headers,
            body: message.body)
        var lastReason = ""
        var waited = Duration.zero
        for attempt in 1...policy.maxAttempts {
            guard !Task.isCancelled else {
                lastReason = lastReason.isEmpty ? "not sent: the host is shutting down" : lastReason
                break
            }
            let verdict: DeliveryVerdict
            do {
                verdict = DeliveryVerdict(try await client.send(request), acceptance: message.acceptance)
            } catch {
                verdict = .retry(reason: "network error: \(error)", retryAfter: nil)
            }
            let retryAfter: Duration?
            switch verdict {
            case .accepted(let status):
                log(.info, "reply delivered to \(message.logDestination): \(status) after \(attempt) tries", requestID)
                return .delivered(status: status, attempts: attempt)
            case .refused(let reason):
                log(.warning, "reply to \(message.logDestination) refused: \(reason)", requestID)
                return .failed(reason: reason)
            case .retry(let reason, let asked):
                lastReason = reason
                retryAfter = asked
            }
            guard attempt < policy.maxAttempts, !Task.isCancelled else { break }
            let delay = retryAfter ?? policy.delay(after: attempt)
            guard waited + delay <= policy.retryBudget else {
                lastReason += "; the next try would wait \(delay), past what is left of the retry budget (\(policy.retryBudget - waited))"
                break
            }
            let asked = retryAfter == nil ? "" : " (Retry-After)"
            log(.warning, "reply to \(message.logDestination) failed (\(lastReason)), try \(attempt) of \(policy.maxAttempts); retrying in \(delay)\(asked)", requestID)
            do {
                try await sleep(delay)
            } catch {
                lastReason += "; retries stopped: the host is shutting down"
                break
            }
            waited += delay
        }
        log(.error, "reply to \(message.logDestination) given up: \(lastReason)", requestID)
        return .failed(reason: lastReason)
    }

    private func log(_ level: LogLevel, _ message: String, _ requestID: String) {
        logger?.log(level, message, tags: [("request", requestID), ("component", "delivery")])
    }
}
