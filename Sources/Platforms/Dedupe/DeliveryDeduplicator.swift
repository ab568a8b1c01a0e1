import Synchronization

/// Remembers the last `capacity` delivery ids (GitHub's `X-GitHub-Delivery`, GitLab's `X-Gitlab-Event-UUID`,
/// Slack's request identity) so a platform's retry of a delivery already handled is acknowledged without running
/// the integration twice. Memory is bounded: the oldest id is forgotten first.
public final class DeliveryDeduplicator: Sendable {
    private struct State {
        var seen: Set<String> = []
        /// Insertion order, as a ring: `ring[next]` is the oldest once the ring is full.
        var ring: [String] = []
        var next = 0
    }

    public let capacity: Int
    private let state = Mutex(State())

    public init(capacity: Int = 10_000) {
        precondition(capacity > 0, "capacity must be positive")
        self.capacity = capacity
    }

    /// Records `id` and returns `true` the first time; `false` for an id already recorded.
    public func claim(_ id: String) -> Bool {
        state.withLock { state in
            guard state.seen.insert(id).inserted else { return false }
            if state.ring.count < capacity {
                state.ring.append(id)
            } else {
                state.seen.remove(state.ring[state.next])
                state.ring[state.next] = id
                state.next = (state.next + 1) % capacity
            }
            return true
        }
    }

    /// Forgets `id`, so a redelivery runs again (after a run that failed). Its ring slot is reused later.
    public func release(_ id: String) {
        state.withLock { _ = $0.seen.remove(id) }
    }

    /// How many ids are remembered.
    public var count: Int { state.withLock { $0.seen.count } }
}
