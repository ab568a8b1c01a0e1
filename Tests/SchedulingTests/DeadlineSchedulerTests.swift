import Scheduling
import Synchronization
import Testing
import TestSupport

/// The clock is read only to check "never early", a lower bound that a busy machine cannot break. That nothing else
/// fired is seen at a sentinel scheduled after every deadline in question: slots fire in order, so once the sentinel
/// has fired, any of those that was going to fire has.
@Suite struct DeadlineSchedulerTests {
    final class Fired: Sendable {
        private let events = Mutex<[(name: String, at: ContinuousClock.Instant)]>([])
        func add(_ name: String) { events.withLock { $0.append((name, .now)) } }
        var names: [String] { events.withLock { $0.map(\.name) } }
        func instant(of name: String) -> ContinuousClock.Instant? { events.withLock { $0.first { $0.name == name }?.at } }
    }

    @Test func firesDueActionsAndNotCancelledOnes() async throws {
        let scheduler = DeadlineScheduler(tick: .milliseconds(20))
        let fired = Fired()
        let scheduled = ContinuousClock.now
        _ = scheduler.schedule(after: .milliseconds(100)) { fired.add("kept") }
        let cancelled = scheduler.schedule(after: .milliseconds(100)) { fired.add("cancelled") }
        _ = scheduler.schedule(after: .seconds(3600)) { fired.add("later") }
        scheduler.cancel(cancelled)
        _ = scheduler.schedule(after: .milliseconds(200)) { fired.add("sentinel") }
        #expect(await eventually { fired.names.contains("sentinel") })
        #expect(fired.names == ["kept", "sentinel"])
        // Never early: a deadline fires at or after its delay.
        let kept = try #require(fired.instant(of: "kept"))
        #expect(kept - scheduled >= .milliseconds(100))
    }

    @Test func manyDeadlinesEachFireOnce() async throws {
        let scheduler = DeadlineScheduler(tick: .milliseconds(10))
        let count = Atomic<Int>(0)
        var tickets: [DeadlineScheduler.Ticket] = []
        for i in 0..<2000 {
            let ticket = scheduler.schedule(after: .milliseconds(20 + i % 50)) { count.add(1, ordering: .relaxed) }
            if i % 2 == 0 { tickets.append(ticket) }
        }
        for ticket in tickets { scheduler.cancel(ticket) }
        let fired = Fired()
        _ = scheduler.schedule(after: .milliseconds(100)) { fired.add("sentinel") }
        #expect(await eventually { fired.names == ["sentinel"] })
        #expect(count.load(ordering: .relaxed) == 1000)
    }
}
