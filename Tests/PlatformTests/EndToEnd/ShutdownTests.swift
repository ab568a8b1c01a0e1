import Foundation
import HostApp
import IntegrationContract
import Platforms
import Synchronization
import Testing
import TestSupport

/// Graceful shutdown owns what requests left behind: a run that was acked finishes and its reply is delivered
/// before `shutdown` returns; a run that outlives the grace period is cancelled, and nothing is left running.
@Suite struct ShutdownTests {
    @Test func anAckedRunFinishesAndItsReplyIsDeliveredBeforeShutdownReturns() async throws {
        let responses = RecordingHandler(statuses: [])
        let responseServer = try LoopbackServer(responses)
        let release = Gate()
        let late = TestIntegration("late") { invocation in
            await release.pass()
            return Reply("finished: \(invocation.query)")
        }
        let host = try PlatformTestHost(
            tokens: ["slack_signing_secret:\(DeferredDeliveryTests.secret)"], integrations: [late],
            deadline: .seconds(1))
        let command = DeferredDeliveryTests.slackCommand(
            "late", text: "build", responseURL: responseServer.url("/commands/T1/9/x"), trigger: "tr-shutdown")
        let ack = try await Client.post(host.url("/slack"), headers: command.headers, body: command.body)
        #expect(ack.status == 200)
        #expect(responses.received.isEmpty)

        let shutdown = Task { await host.stop(gracePeriod: .seconds(60)) }
        // The run is still waiting when shutdown begins; only then may it finish.
        #expect(await eventually(timeout: .seconds(30)) { host.log.contains("shutting down") })
        release.open()
        _ = await shutdown.value

        // No waiting here: shutdown returned, so the delivery has already happened.
        #expect(responses.received.map(\.json) == [["response_type": "ephemeral", "text": "finished: build"]])
        #expect(host.host.dependencies.background.count == 0)
        await responseServer.stop()
    }

    @Test func aRunPastTheGracePeriodIsCancelledAndAwaited() async throws {
        let cancelled = Atomic<Bool>(false)
        let endless = TestIntegration("endless") { _ in
            do {
                try await Task.sleep(for: .seconds(3600))
            } catch {
                cancelled.store(true, ordering: .relaxed)
                throw error
            }
            return nil
        }
        let host = try PlatformTestHost(
            tokens: ["slack_signing_secret:\(DeferredDeliveryTests.secret)"], integrations: [endless],
            deadline: .seconds(1))
        let command = DeferredDeliveryTests.slackCommand(
            "endless", text: "", responseURL: URL(string: "http://127.0.0.1:9/unused")!, trigger: "tr-endless")
        let ack = try await Client.post(host.url("/slack"), headers: command.headers, body: command.body)
        #expect(ack.status == 200)
        let log = await host.stop(gracePeriod: .milliseconds(200))
        let wasCancelled = cancelled.load(ordering: .relaxed)
        #expect(wasCancelled)
        #expect(host.host.dependencies.background.count == 0)
        #expect(log.contains("runs or deliveries still going after"))
    }
}
