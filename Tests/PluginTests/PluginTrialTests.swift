import Foundation
import Testing
import TestSupport

/// `integration-host test` with a compiled plugin: run in a worker process by default, as the host runs it.
@Suite struct PluginTrialTests {
    @Test(arguments: ["isolated", "in-process"])
    func aPluginRunsOnceWithItsStorageChangesAndLog(_ mode: String) throws {
        let directory = try PluginFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.copyItem(
            at: try PluginFixtures.builtPlugin("ParrotPlugin"), to: directory.appendingPathComponent("parrot.so"))
        let result = try Subprocess.run(
            PluginFixtures.workerExecutable.path,
            ["test", directory.path, "parrot", "hello", "there", "--platform", "slack", "--plugins", mode])
        let lines = result.stdoutText.split(separator: "\n").map(String.init)
        #expect(result.status == 0, "\(result.stdoutText)\(result.stderrText)")
        #expect(lines.contains("integration: parrot (plugin, parrot.so)"))
        #expect(lines.contains("trace: none (only manifests record one)"))
        #expect(lines.contains(#"    {"response_type":"ephemeral","text":"tester: hello there (parrot #1)"}"#))
        #expect(lines.contains("  parrot.count: (none) → 1"))
        #expect(lines.contains { $0.hasSuffix("integration=parrot tester said: /parrot hello there") }, "the plugin's own log line")

        let failed = try Subprocess.run(
            PluginFixtures.workerExecutable.path, ["test", directory.path, "parrot", "--plugins", mode])
        #expect(failed.status == 1, "an empty query makes the plugin throw")
        #expect(failed.stdoutText.contains("nothing to repeat"))
    }
}
