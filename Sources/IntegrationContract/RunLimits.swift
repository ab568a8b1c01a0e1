/// How many runs of one integration may go at once and how many may wait for a turn; past that its calls get 503
/// with `Retry-After`, so one busy integration cannot take the threads, programs and memory the others need.
public struct RunLimits: Sendable, Equatable {
    /// Runs at once.
    public var concurrent: Int
    /// Runs waiting for a turn (they count against their deadline while they wait).
    public var queued: Int

    public init(concurrent: Int, queued: Int) {
        self.concurrent = concurrent
        self.queued = queued
    }

    /// What an integration gets unless it says otherwise.
    public static let standard = RunLimits(concurrent: 64, queued: 64)
}
