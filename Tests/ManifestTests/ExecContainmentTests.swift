import Foundation
import JSON
import Testing
import TestSupport

@testable import HostApp
@testable import IntegrationContract
@testable import Manifests

/// `--exec-containment namespace`: nothing an exec program starts outlives its run, not even a process that left
/// its session and process group with `setsid`; and the program still runs as the host's user.
@Suite(.enabled(if: ExecContainment.detected == .namespace, "this system refuses unprivileged user namespaces"))
struct ExecContainmentTests {
    let directory = Fixtures.temporaryDirectory()
    var grandchildFile: URL { directory.appendingPathComponent("grandchild") }

    init() throws {
        // Starts a grandchild in a session of its own, which records its pid (the host's number), then sleeps.
        Fixtures.script("escape.sh", """
            #!/bin/sh
            setsid sh -c '\(ExecActionTests.recordHostPID) > "$1"; exec sleep 600' escape "$1" &
            exec sleep 600
            """, in: directory)
        try #"{"commands": [], "actions": [{"exec": {"argv": ["escape.sh", "PID"], "timeout": 1}}]}"#
            .replacingOccurrences(of: "PID", with: grandchildFile.path)
            .write(to: directory.appendingPathComponent("escape.json"), atomically: true, encoding: .utf8)
    }

    @Test func aSetsidGrandchildDiesAtTheTimeout() async throws {
        let host = try ManifestHost(directory: directory)
        defer { Task { await host.stop() } }
        let response = try await host.request("POST", "/hooks/escape")
        // 504 at the program's timeout; on a machine too busy to get there within the webhook's 10 s answer
        // deadline, acked 202 and killed at its timeout all the same.
        #expect([504, 202].contains(response.status), "\(response.text)")
        // The grandchild may not have got to record itself before the timeout; then it never ran.
        if let pid = ExecActionTests.pid(in: grandchildFile) {
            #expect(await eventually { !ExecActionTests.isAlive(pid) }, "the setsid grandchild \(pid) outlived the run")
        }
    }

    @Test func aSetsidGrandchildDiesWhenTheRunIsCancelled() async throws {
        let manifest = try Fixtures.manifest(
            #"{"actions": [{"exec": {"argv": ["escape.sh", "\#(grandchildFile.path)"], "timeout": 600}}]}"#,
            directory: directory)
        let run = Task { try await manifest.run(Fixtures.invocation()) }
        let recorded = await eventually { ExecActionTests.pid(in: grandchildFile) != nil }
        run.cancel()
        _ = await run.result
        try #require(recorded, "the grandchild never started")
        let pid = try #require(ExecActionTests.pid(in: grandchildFile))
        #expect(await eventually { !ExecActionTests.isAlive(pid) }, "the setsid grandchild \(pid) outlived the run")
    }

    @Test func theProgramRunsAsTheHostsUserAndReachesItsFiles() async throws {
        let file = directory.appendingPathComponent("owned")
        try "mine".write(to: file, atomically: true, encoding: .utf8)
        let manifest = try Fixtures.manifest(#"""
            {"actions": [{"exec": {"argv": ["/bin/sh", "-c", "echo $(id -u):$(id -g):$(cat \#(file.path))"]}, "into": "r"},
                         {"reply": "{{r.stdout}}"}]}
            """#, directory: directory)
        #expect(try await manifest.run(Fixtures.invocation())?.text == "\(getuid()):\(getgid()):mine")
    }
}
