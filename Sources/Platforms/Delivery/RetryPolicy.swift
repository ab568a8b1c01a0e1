/// How often and how patiently an outbound post is retried after a network error, a 5xx/429 or a transient Slack
/// Web API error.
public struct RetryPolicy: Sendable {
    /// Tries in all, the first included.
    public var maxAttempts: Int
    /// The wait before the second try; each further wait is `multiplier` times longer, up to `maxDelay`.
    public var initialDelay: Duration
    public var multiplier: Double
    public var maxDelay: Duration
    /// The most one destination's waits between tries may add up to. A `Retry-After` is honoured when it fits in
    /// what is left of it; one that does not fails the message at once, with the reason logged.
    public var retryBudget: Duration

    public init(
        maxAttempts: Int = 4, initialDelay: Duration = .milliseconds(500), multiplier: Double = 2,
        maxDelay: Duration = .seconds(8), retryBudget: Duration = .seconds(60)
    ) {
        self.maxAttempts = max(1, maxAttempts)
        self.initialDelay = initialDelay
        self.multiplier = multiplier
        self.maxDelay = maxDelay
        self.retryBudget = retryBudget
    }

    /// The wait after failed try number `attempt` (1-based).
    public func delay(after attempt: Int) -> Duration {
        var delay = initialDelay
        for _ in 1..<max(1, attempt) {
            delay = delay * multiplier
            if delay >= maxDelay { return maxDelay }
        }
        return min(delay, maxDelay)
    }

    /// Whether an answer with this status is worth another try.
    public static func isRetryable(status: Int) -> Bool { status >= 500 || status == 429 }
}
