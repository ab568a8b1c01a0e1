import Synchronization

/// Remembers recent delivery ids (GitHub's `X-GitHub-Delivery`, GitLab's `X-Gitlab-Event-UUID`, Slack's request
/// identity, Mattermost's trigger, Teams' activity id) so a platform's retry of a delivery already handled is
/// acknowledged without running the integration twice.
///
/// Ids are kept in one ring per source — the platform, and for GitHub and GitLab the integration too (`github:NAME`)
/// — so ids from one source (an open `/hooks/NAME`) can never push another's out. Only requests that passed their
/// platform's verification reach `claim`. A ring forgets its oldest id once it holds `capacity`, but never one
/// younger than `minimumAge` (Slack retries within 5 minutes) unless it reaches `hardLimit`. Memory is bounded.
public final class DeliveryDeduplicator: Sendable {
    private struct Ring {
        /// Each remembered id and when it was claimed, to tell its own ring entry from one a release left behind.
        var seen: [String: ContinuousClock.Instant] = [:]
        /// Insertion order, oldest first from `head`.
        var order: [(id: String, at: ContinuousClock.Instant)] = []
        var head = 0

        var count: Int { order.count - head }

        mutating func claim(
            _ id: String, at now: ContinuousClock.Instant, capacity: Int, minimumAge: Duration, hardLimit: Int
        ) -> Bool {
            guard seen[id] == nil else { return false }
            seen[id] = now
            order.append((id, now))
            while count > capacity, count > hardLimit || now - order[head].at >= minimumAge {
                dropOldest()
            }
            return true
        }

        mutating func dropOldest() {
            let oldest = order[head]
            if seen[oldest.id] == oldest.at { seen[oldest.id] = nil }
            head += 1
            if head >= 1024, head * 2 >= order.count {
                order.removeFirst(head)
                head = 0
            }
        }
    }

    public let capacity: Int
    public let minimumAge: Duration
    public let hardLimit: Int
    private let rings = Mutex<[String: Ring]>([:])

    /// - Parameters:
    ///   - capacity: ids a ring keeps before it forgets the oldest.
    ///   - minimumAge: how long an id is kept at least, even past `capacity`.
    ///   - hardLimit: a ring's size at which the oldest goes whatever its age (by default ten times `capacity`).
    public init(capacity: Int = 10_000, minimumAge: Duration = .seconds(300), hardLimit: Int? = nil) {
        precondition(capacity > 0, "capacity must be positive")
        self.capacity = capacity
        self.minimumAge = minimumAge
        self.hardLimit = max(capacity, hardLimit ?? capacity * 10)
    }

    /// Records `id` and returns `true` the first time; `false` for an id already recorded.
    public func claim(_ id: String) -> Bool {
        let now = ContinuousClock.now
        return rings.withLock { rings in
            rings[DeliveryDeduplicator.source(of: id), default: Ring()].claim(
                id, at: now, capacity: capacity, minimumAge: minimumAge, hardLimit: hardLimit)
        }
    }

    /// Forgets `id`, so a redelivery runs again (after a run that failed). Its place in the ring is reused later.
    public func release(_ id: String) {
        rings.withLock { _ = $0[DeliveryDeduplicator.source(of: id)]?.seen.removeValue(forKey: id) }
    }

    /// How many ids are remembered, over all sources.
    public var count: Int { rings.withLock { $0.values.reduce(0) { $0 + $1.seen.count } } }

    /// The ring an id belongs to: `slack`, `mattermost`, `teams`, `github:NAME`, `gitlab:NAME`; one shared ring for
    /// ids without a `source:` prefix.
    static func source(of id: String) -> String {
        let parts = id.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count > 1, let platform = parts.first else { return "" }
        if (platform == "github" || platform == "gitlab"), parts.count > 1 { return "\(platform):\(parts[1])" }
        return String(platform)
    }
}
