import Scheduling
import Synchronization
import Testing
@Suite struct DeadlineSchedulerTests {
    final class Fired: Sendable {
        let names = Mutex<[String]>([])
        func add(_ name: String) { names.withLock { $0.append(name) } }
    }

    @Test func firesDueActionsAndNotCancelledOnes() async throws {
        let scheduler = DeadlineScheduler(tick: .milliseconds(20))
        let fired = Fired()
        let started = ContinuousClock.now
        _ = scheduler.schedule(after: .milliseconds(100)) { fired.add("kept") }
        let cancelled = scheduler.schedule(after: .milliseconds(100)) { fired.add("cancelled") }
        _ = scheduler.schedule(after: .seconds(30)) { fired.add("later") }
        scheduler.cancel(cancelled)
        #expect(await eventually { fired.names.withLock { $0 } == ["kept"] })
        // Never early: a deadline fires at or after its delay.
        #expect(ContinuousClock.now - started >= .milliseconds(100))
        try await Task.sleep(for: .milliseconds(200))
        #expect(fired.names.withLock { $0 } == ["kept"])
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
        #expect(await eventually { count.load(ordering: .relaxed) == 1000 })
        try await Task.sleep(for: .milliseconds(150))
        #expect(count.load(ordering: .relaxed) == 1000)
    }
}
