import Foundation
import HostApp
import HostCore
import IntegrationContract
import Logging
import Manifests
import Platforms
import Plugins
import Testing

/// Bounded memories: delivery ids and response_url budgets; retry backoff.
@Suite struct DedupeAndBudgetTests {
    @Test func dedupeClaimsOnceAndForgetsTheOldest() {
        let dedupe = DeliveryDeduplicator(capacity: 3, minimumAge: .zero)
        #expect(dedupe.claim("a"))
        #expect(!dedupe.claim("a"))
        #expect(dedupe.claim("b") && dedupe.claim("c") && dedupe.claim("d"))
        #expect(dedupe.count == 3)
        #expect(dedupe.claim("a"))  // "a" was the oldest and is forgotten
        #expect(!dedupe.claim("d"))
        dedupe.release("d")
        #expect(dedupe.claim("d"))
        for i in 0..<1000 { _ = dedupe.claim("x\(i)") }
        #expect(dedupe.count <= 3)
    }

    @Test func idsYoungerThanTheMinimumAgeAreKeptPastCapacityUpToTheHardLimit() {
        let dedupe = DeliveryDeduplicator(capacity: 3, minimumAge: .seconds(3600), hardLimit: 50)
        #expect(dedupe.claim("slack:signed:1:a"))
        for i in 0..<40 { #expect(dedupe.claim("slack:signed:\(i + 2):b")) }
        // Far past capacity, but younger than the minimum age: still refused on replay.
        #expect(!dedupe.claim("slack:signed:1:a"))
        for i in 0..<100 { _ = dedupe.claim("slack:x\(i)") }
        #expect(dedupe.count <= 50)
    }

    @Test func aFloodFromOneSourceNeverEvictsAnothersIds() {
        // After 10,001 ids through an open webhook, a replayed signed Slack request is still refused.
        let dedupe = DeliveryDeduplicator(minimumAge: .zero)
        #expect(dedupe.claim("slack:signed:1700000000:v0=abc"))
        for i in 0...10_000 { _ = dedupe.claim("github:open-hook:delivery-\(i)") }
        #expect(!dedupe.claim("slack:signed:1700000000:v0=abc"))
        // And one integration's GitHub ids are not another's.
        #expect(dedupe.claim("github:deploy:delivery-1"))
        #expect(!dedupe.claim("github:deploy:delivery-1"))
    }

    @Test func anIdClaimedAgainAfterAReleaseIsNotForgottenWithItsOldEntry() {
        let dedupe = DeliveryDeduplicator(capacity: 3, minimumAge: .zero)
        #expect(dedupe.claim("hooks:a"))
        dedupe.release("hooks:a")  // its run failed: a redelivery may run again
        #expect(dedupe.claim("hooks:a"))
        #expect(dedupe.claim("hooks:b"))
        #expect(dedupe.claim("hooks:c"))  // evicts the entry of the first claim, not the second
        #expect(!dedupe.claim("hooks:a"))
    }

    @Test func dedupeUnderConcurrency() async {
        let dedupe = DeliveryDeduplicator(capacity: 100)
        let wins = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<50 { group.addTask { dedupe.claim("same") } }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(wins == 1)
    }

    @Test func responseURLBudget() {
        let budget = ResponseURLBudget(limit: 5, window: 1800)
        let start = Date(timeIntervalSince1970: 1_000_000)
        for i in 0..<5 { #expect(budget.take("u", now: start.addingTimeInterval(Double(i)))) }
        #expect(!budget.take("u", now: start.addingTimeInterval(10)))
        #expect(budget.take("v", now: start.addingTimeInterval(10)))
        #expect(!budget.take("u", now: start.addingTimeInterval(1799)))
        #expect(budget.take("u", now: start.addingTimeInterval(1800)))

        let small = ResponseURLBudget(limit: 1, window: 1800, maxKeys: 10)
        for i in 0..<100 { #expect(small.take("k\(i)", now: start.addingTimeInterval(Double(i)))) }
    }

    @Test func backoff() {
        let policy = RetryPolicy(maxAttempts: 6, initialDelay: .milliseconds(500), multiplier: 2, maxDelay: .seconds(3))
        #expect(policy.delay(after: 1) == .milliseconds(500))
        #expect(policy.delay(after: 2) == .seconds(1))
        #expect(policy.delay(after: 3) == .seconds(2))
        #expect(policy.delay(after: 4) == .seconds(3))
        #expect(policy.delay(after: 5) == .seconds(3))
        #expect(RetryPolicy.isRetryable(status: 503) && RetryPolicy.isRetryable(status: 429))
        #expect(!RetryPolicy.isRetryable(status: 404))
    }
}
