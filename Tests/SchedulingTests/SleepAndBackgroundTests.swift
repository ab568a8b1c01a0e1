import Scheduling
import Synchronization
import Testing
import TestSupport

/// The clock's `sleep` and the owner of background work: what shutdown relies on.
@Suite struct SleepAndBackgroundTests {
    @Test func sleepReturnsAfterItsDelayAndNeverEarly() async throws {
        let started = ContinuousClock.now
        try await DeadlineScheduler(tick: .milliseconds(10)).sleep(for: .milliseconds(60))
        #expect(ContinuousClock.now - started >= .milliseconds(60))
    }

    @Test func cancellingASleeperWakesItWithCancellationError() async throws {
        let scheduler = DeadlineScheduler(tick: .milliseconds(10))
        let sleeper = Task { try await scheduler.sleep(for: .seconds(3600)) }
        sleeper.cancel()
        await #expect(throws: CancellationError.self) { try await sleeper.value }
    }

    @Test func aSleepCancelledBeforeItStartsThrowsAtOnce() async throws {
        let scheduler = DeadlineScheduler(tick: .milliseconds(10))
        let gate = Gate()
        let sleeper = Task {
            await gate.pass()
            try await scheduler.sleep(for: .seconds(3600))
        }
        sleeper.cancel()
        gate.open()
        await #expect(throws: CancellationError.self) { try await sleeper.value }
    }

    @Test func waitForAllReturnsOnceEveryTaskAndEveryTaskItStartedEnded() async throws {
        let background = BackgroundTasks()
        let gate = Gate()
        let finished = Atomic<Int>(0)
        for _ in 0..<10 {
            background.run {
                await gate.pass()
                // Work that starts more work, as a finished run starts its reply's delivery.
                background.run { finished.add(1, ordering: .relaxed) }
                finished.add(1, ordering: .relaxed)
            }
        }
        #expect(background.count >= 10)
        gate.open()
        #expect(await background.waitForAll(upTo: .seconds(60)))
        let count = finished.load(ordering: .relaxed)
        #expect(count == 20)
        #expect(background.count == 0)
    }

    @Test func waitForAllGivesUpAtItsLimitAndCancelAllEndsTheRest() async throws {
        let background = BackgroundTasks(clock: DeadlineScheduler(tick: .milliseconds(10)))
        let stopped = Atomic<Bool>(false)
        background.run {
            do { try await DeadlineScheduler.shared.sleep(for: .seconds(3600)) } catch { stopped.store(true, ordering: .relaxed) }
        }
        #expect(await background.waitForAll(upTo: .milliseconds(50)) == false)
        #expect(background.count == 1)
        background.cancelAll()
        #expect(await background.waitForAll(upTo: .seconds(60)))
        let wasStopped = stopped.load(ordering: .relaxed)
        #expect(wasStopped)
    }

    @Test func nothingStartsAfterClose() async throws {
        let background = BackgroundTasks()
        background.close()
        let ran = Atomic<Bool>(false)
        let task = background.run { ran.store(true, ordering: .relaxed) }
        #expect(task == nil)
        #expect(await background.waitForAll(upTo: .seconds(1)))
        let didRun = ran.load(ordering: .relaxed)
        #expect(!didRun)
    }
}
