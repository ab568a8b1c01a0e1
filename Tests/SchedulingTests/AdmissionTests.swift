import Scheduling
import Synchronization
import Testing
import TestSupport

/// Admission: at most `capacity` holders, at most `queueLimit` waiting, first come first served, and a waiter
/// cancelled before its turn never gets one.
@Suite struct AdmissionTests {
    @Test func holdersAreBoundedAndTheQueueOverflowsWithARefusal() async throws {
        let admission = Admission(capacity: 2, queueLimit: 1)
        try await admission.enter()
        try await admission.enter()
        let waiter = Task { try await admission.enter() }
        #expect(await eventually { admission.load.waiting == 1 })
        await #expect(throws: Admission.Refusal.self) { try await admission.enter() }
        admission.leave()
        try await waiter.value
        #expect(admission.load.holders == 2)
        #expect(admission.load.waiting == 0)
    }

    @Test func aCancelledWaiterLeavesTheQueueAndNeverGetsATurn() async throws {
        let admission = Admission(capacity: 1, queueLimit: 4)
        try await admission.enter()
        let admitted = Atomic<Bool>(false)
        let cancelled = Task {
            try await admission.enter()
            admitted.store(true, ordering: .relaxed)
        }
        #expect(await eventually { admission.load.waiting == 1 })
        cancelled.cancel()
        await #expect(throws: CancellationError.self) { try await cancelled.value }
        #expect(admission.load.waiting == 0)
        admission.leave()
        #expect(admission.load.holders == 0)
        let wasAdmitted = admitted.load(ordering: .relaxed)
        #expect(!wasAdmitted)
    }

    @Test func turnsGoInArrivalOrder() async throws {
        let admission = Admission(capacity: 1, queueLimit: 10)
        try await admission.enter()
        let order = Arrivals()
        var waiters: [Task<Void, any Error>] = []
        for index in 0..<5 {
            waiters.append(Task {
                try await admission.enter()
                order.record(index)
                admission.leave()
            })
            let expected = index + 1
            #expect(await eventually { admission.load.waiting == expected })
        }
        admission.leave()
        for waiter in waiters { try await waiter.value }
        #expect(order.indices == [0, 1, 2, 3, 4])
    }
}

/// The order in which tasks got their turn.
final class Arrivals: Sendable {
    private let list = Mutex<[Int]>([])
    func record(_ index: Int) { list.withLock { $0.append(index) } }
    var indices: [Int] { list.withLock { $0 } }
}
