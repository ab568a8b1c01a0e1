import Foundation
import Synchronization

/// Slack's limit on a `response_url`: at most `limit` posts within `window`. Keys are forgotten once their window
/// has passed, and at most `maxKeys` are tracked (the stalest go first), so memory stays bounded.
public final class ResponseURLBudget: Sendable {
    public let limit: Int
    public let window: TimeInterval
    public let maxKeys: Int
    private let uses = Mutex<[String: [Date]]>([:])

    public init(limit: Int = 5, window: TimeInterval = 30 * 60, maxKeys: Int = 10_000) {
        self.limit = limit
        self.window = window
        self.maxKeys = maxKeys
    }

    /// Takes one post from `key`'s budget; `false` when it is spent.
    public func take(_ key: String, now: Date = Date()) -> Bool {
        uses.withLock { uses in
            let recent = (uses[key] ?? []).filter { now.timeIntervalSince($0) < window }
            guard recent.count < limit else {
                uses[key] = recent
                return false
            }
            uses[key] = recent + [now]
            if uses.count > maxKeys { prune(&uses, now: now) }
            return true
        }
    }

    /// Drops expired keys, then the stalest until under `maxKeys`.
    private func prune(_ uses: inout [String: [Date]], now: Date) {
        uses = uses.filter { _, dates in dates.contains { now.timeIntervalSince($0) < window } }
        guard uses.count > maxKeys else { return }
        let stalest = uses.sorted { ($0.value.last ?? .distantPast) < ($1.value.last ?? .distantPast) }
        for (key, _) in stalest.prefix(uses.count - maxKeys) { uses.removeValue(forKey: key) }
    }
}
