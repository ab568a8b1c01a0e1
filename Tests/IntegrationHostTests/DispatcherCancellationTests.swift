import Synchronization
import Testing
import TestSupport

@testable import HostCore
@testable import IntegrationContract
@testable import Logging

/// A run answered inline is cancelled with its caller (the HTTP server cancels the handler of a client that left);
/// a run past its deadline belongs to whoever took `.timedOut(pending:)` and is not.
@Suite struct DispatcherCancellationTests {
    let dispatcher = Dispatcher(
        tokens: Tokens(), storage: Storage(), logger: try! HostLogger(minimumLevel: .error, echoToStderr: false))

    @Test func cancellingTheCallerCancelsAnInlineRun() async throws {
        let started = Gate()
        started.open()
        let cancelled = Atomic<Bool>(false)
        let caller = Task {
            await dispatcher.run(deadline: .seconds(3600)) {
                await started.pass()
                do {
                    try await Task.sleep(for: .seconds(3600))
                } catch {
                    cancelled.store(true, ordering: .relaxed)
                    throw error
                }
                return nil
            }
        }
        #expect(await eventually { started.arrived == 1 })
        caller.cancel()
        guard case .failed(let error) = await caller.value else {
            Issue.record("a cancelled caller gets .failed")
            return
        }
        #expect(error.status.code == 499)
        #expect(await eventually { cancelled.load(ordering: .relaxed) })
    }

    @Test func aRunPastItsDeadlineOutlivesItsCaller() async throws {
        let finish = Gate()
        let caller = Task {
            let outcome = await dispatcher.run(deadline: .milliseconds(1)) {
                await finish.pass()
                return Reply("late")
            }
            withUnsafeCurrentTask { $0?.cancel() }
            return outcome
        }
        guard case .timedOut(let pending) = await caller.value else {
            Issue.record("the run should pass its 1 ms deadline while it waits at the gate")
            return
        }
        #expect(caller.isCancelled)
        #expect(!pending.isCancelled)
        finish.open()
        #expect(try await pending.value?.text == "late")
    }
}
