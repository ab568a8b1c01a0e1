import Foundation
import HostApp
import JSON
import Synchronization
import Testing
import TestSupport

/// Per-integration admission: one integration held at its limit answers 503 with `Retry-After` past its queue,
/// while the others answer as usual (issue: containment, item 4).
@Suite struct RunLimitTests {
    @Test func aSaturatedIntegrationRefusesPastItsQueueWhileOthersAnswer() async throws {
        let gate = ScriptGate()
        let host = try TestHost(files: [
            "busy.scripted": #"{"gate": "\#(gate.name)", "reply": "done", "limits": {"concurrent": 1, "queued": 1}}"#,
            "echo.scripted": #"{"reply": "echo {query}"}"#,
        ], deadline: .seconds(600))  // the held runs wait for the gate, however slow the machine
        defer { Task { await host.stop() } }
        let answers = Answers()
        let callers = (0..<3).map { _ in
            Task {
                let response = try await host.request("POST", "/hipchat", body: try Fixtures.hipchat(message: "/busy"))
                let body = String(decoding: response.body, as: UTF8.self)
                answers.record(Answer(status: response.status, retryAfter: response.headers["retry-after"], body: body))
            }
        }
        // One runs (held at the gate), one waits its turn, the third is refused at once.
        #expect(await eventually { answers.all.count == 1 })
        let refused = try #require(answers.all.first)
        #expect(refused.status == 503)
        #expect(refused.retryAfter == "1")
        #expect(try JSONValue(parsing: refused.body)["error"] == "busy: busy is busy: 1 runs are going and 1 waiting")
        #expect(gate.arrived == 1)
        // Another integration is not held up by it.
        let echo = try await host.request("POST", "/hipchat", body: try Fixtures.hipchat(message: "/echo hi"))
        #expect(try JSONValue(parsing: echo.body)["message"] == "echo hi")
        gate.open()
        for caller in callers { try await caller.value }
        #expect(answers.all.map(\.status).sorted() == [200, 200, 503])
    }
}

struct Answer: Sendable {
    let status: Int
    let retryAfter: String?
    let body: String
}

/// The answers of calls that have returned, in order.
final class Answers: Sendable {
    private let list = Mutex<[Answer]>([])
    func record(_ answer: Answer) { list.withLock { $0.append(answer) } }
    var all: [Answer] { list.withLock { $0 } }
}
