import Foundation
import JSON
import Testing
import TestSupport

@testable import HostApp
@testable import HostCore
@testable import IntegrationContract
@testable import Logging
@testable import Manifests
@testable import Platforms
@testable import Plugins

/// `--max-exec` and `limits.exec`: the programs all of a host's manifests run at once are capped, and so are one
/// integration's; past either cap `exec` answers 503 at once, and every slot comes back when its program is reaped.
@Suite struct ExecLimitTests {
    let directory = Fixtures.temporaryDirectory()

    init() throws {
        Fixtures.script("nap.sh", "#!/bin/sh\nexec sleep \"$1\"\n", in: directory)
        // Records its pid (the host's number for it: `$$` is its pid inside its namespace) and sleeps; started and not
        // waited for, it holds its slot until the test kills it.
        Fixtures.script("linger.sh", "#!/bin/sh\n\(ExecActionTests.recordHostPID) >> \"$1\"\nexec sleep 60\n", in: directory)
        try #"{"commands": [], "limits": {"exec": 2}, "actions": [{"exec": {"argv": ["linger.sh", "PIDS"], "timeout": 60, "wait": false}}, {"reply": "started"}]}"#
            .replacingOccurrences(of: "PIDS", with: pidFile.path)
            .write(to: directory.appendingPathComponent("linger.json"), atomically: true, encoding: .utf8)
        try #"{"commands": [], "limits": {"exec": 4}, "actions": [{"exec": {"argv": ["nap.sh", "0.2"]}}, {"reply": "done"}]}"#
            .write(to: directory.appendingPathComponent("nap.json"), atomically: true, encoding: .utf8)
        // Holds its slot until the test opens the gate.
        Fixtures.script("hold.sh", "#!/bin/sh\n: < \"$1\"\n", in: directory)
        // Signs in, then holds its slot until the test opens the gate.
        Fixtures.script("hog.sh", "#!/bin/sh\necho in >> \"$1\"\n: < \"$2\"\n", in: directory)
        try #"{"commands": [], "limits": {"exec": 2}, "actions": [{"exec": {"argv": ["hog.sh", "ARRIVALS", "GATE"]}}, {"reply": "done"}]}"#
            .replacingOccurrences(of: "ARRIVALS", with: directory.appendingPathComponent("arrivals").path)
            .replacingOccurrences(of: "GATE", with: gateFile.path)
            .write(to: directory.appendingPathComponent("hog.json"), atomically: true, encoding: .utf8)
        try #"{"commands": [], "actions": [{"exec": {"argv": ["hold.sh", "GATE"]}}, {"reply": "done"}]}"#
            .replacingOccurrences(of: "GATE", with: gateFile.path)
            .write(to: directory.appendingPathComponent("hold.json"), atomically: true, encoding: .utf8)
    }

    var pidFile: URL { directory.appendingPathComponent("pids") }
    var gateFile: URL { directory.appendingPathComponent("gate") }

    @Test func pastTheCapExecAnswers503UntilASlotIsFree() async throws {
        let host = try ManifestHost(directory: directory, maxExec: 2)
        defer { Task { await host.stop() } }
        #expect(try await host.request("POST", "/hooks/linger").text == "started")
        #expect(try await host.request("POST", "/hooks/linger").text == "started")

        // Both slots are held by programs of another manifest: the cap is the host's, not the manifest's.
        let refused = try await host.request("POST", "/hooks/nap")
        #expect(refused.status == 503)
        let error = try #require(refused.json?["error"]?.stringValue)
        #expect(error.contains("2 programs are already running (--max-exec)"), "\(error)")
        #expect(try await host.request("POST", "/hooks/linger").status == 503)

        // Once the two sleepers are gone and reaped, their slots come back.
        var pids: [pid_t] = []
        #expect(await eventually {
            pids = ((try? String(contentsOf: pidFile, encoding: .utf8)) ?? "").split(separator: "\n").compactMap { pid_t($0) }
            return pids.count == 2
        })
        for pid in pids { kill(pid, SIGKILL) }
        #expect(try await eventually { try await host.request("POST", "/hooks/nap").status == 200 })
    }

    @Test func oneIntegrationAtItsCapLeavesTheOthersTheirs() async throws {
        let host = try ManifestHost(directory: directory, maxExec: 8)
        defer { Task { await host.stop() } }
        let gate = PipeGate(at: gateFile)
        let arrivals = directory.appendingPathComponent("arrivals")
        let held = (0..<2).map { _ in Task { try await host.request("POST", "/hooks/hog") } }
        try #require(await eventually { ExecActionTests.lines(of: arrivals) == 2 }, "the two hogs never ran")

        let refused = try await host.request("POST", "/hooks/hog")
        #expect(refused.status == 503)
        #expect(refused.headers["retry-after"] == "1")
        let error = try #require(refused.json?["error"]?.stringValue)
        #expect(error.contains("integration hog already runs 2 programs (its limits.exec)"), "\(error)")
        // The host has slots left, and another integration gets them while hog is at its cap.
        let other = try await host.request("POST", "/hooks/nap")
        #expect(other.status == 200 && other.text == "done", "\(other.status) \(other.text)")

        gate.open()
        // Answered when the gate opened, or — on a machine so busy that this took the webhook's 10 s answer
        // deadline — acked with 202 and run on.
        for run in held { #expect([200, 202].contains(try await run.value.status)) }
    }

    @Test func concurrentRunsNeverLeakSlots() async throws {
        let host = try ManifestHost(directory: directory, maxExec: 4)
        defer { Task { await host.stop() } }
        let gate = PipeGate(at: gateFile)
        // 40 runs at once against 4 slots: each one either ran or was refused, nothing else. The programs that got a
        // slot keep it until a run has been refused, so both happen whatever the timing. A run still held when the
        // webhook's answer deadline comes (a very busy machine) is acked with 202 and goes on: it ran too.
        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<40 { group.addTask { try await host.request("POST", "/hooks/hold").status } }
            var statuses: [Int] = []
            for try await status in group {
                statuses.append(status)
                if status == 503 { gate.open() }
            }
            return statuses
        }
        #expect(statuses.allSatisfy { [200, 202, 503].contains($0) }, "\(statuses)")
        #expect(statuses.contains { $0 == 200 || $0 == 202 })
        #expect(statuses.contains(503))
        // Every slot was given back: four runs at once all go through.
        let after = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<4 { group.addTask { try await host.request("POST", "/hooks/nap").status } }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(after == [200, 200, 200, 200])
    }
}
