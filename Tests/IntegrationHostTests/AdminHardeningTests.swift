import Foundation
import Glibc
import HostApp
import JSON
import Logging
import Testing

/// Admin commands under attack: a browser page or a reverse proxy on the same machine, and a load of a huge file
/// or a symlink (issue: containment, item 2).
@Suite struct AdminHardeningTests {
    @Test func withoutATokenCrossSiteAndProxiedCommandsAreRefused() async throws {
        let host = try TestHost()
        defer { Task { await host.stop() } }
        for (header, value) in [
            ("Origin", "https://evil.example"), ("Referer", "https://evil.example/page"),
            ("X-Forwarded-For", "203.0.113.9"), ("Forwarded", "for=203.0.113.9"),
        ] {
            let refused = try await host.request("POST", "/", body: Array("erase".utf8), headers: [header: value])
            #expect(refused.status == 403)
            let reason = try JSONValue(parsing: refused.body)["error"]?.stringValue ?? ""
            #expect(reason.contains(header) && reason.contains("admin token"))
        }
        // A direct loopback request without those headers is still trusted.
        #expect(try await host.request("POST", "/", body: Array("erase".utf8)).status == 200)
    }

    @Test func withATokenTheTokenDecidesWhateverTheHeaders() async throws {
        let host = try TestHost(adminToken: "ADMIN-TOKEN-1")
        defer { Task { await host.stop() } }
        let headers = ["Origin": "https://ops.example", "Authorization": "Bearer ADMIN-TOKEN-1"]
        #expect(try await host.request("POST", "/", body: Array("erase".utf8), headers: headers).status == 200)
    }

    @Test func aLoadPastTheSizeCapOrThroughASymlinkIsA400AndChangesNothing() async throws {
        let host = try TestHost()
        defer { Task { await host.stop() } }
        let big = host.stateDirectory.appendingPathComponent("big.json")
        let fd = open(big.path, O_WRONLY | O_CREAT, 0o600)
        #expect(ftruncate(fd, off_t(256 << 20) + 1) == 0)
        close(fd)
        let tooBig = try await host.request("POST", "/", body: Array("load big.json".utf8))
        #expect(tooBig.status == 400)
        #expect(try JSONValue(parsing: tooBig.body)["error"]?.stringValue?.contains("268435457 bytes is more than the 256 MiB") == true)

        try #"{"x": {"k": 1}}"#.write(to: host.stateDirectory.appendingPathComponent("real.json"), atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(
            atPath: host.stateDirectory.appendingPathComponent("link.json").path, withDestinationPath: "real.json")
        let linked = try await host.request("POST", "/", body: Array("load link.json".utf8))
        #expect(linked.status == 400)
        #expect(try JSONValue(parsing: linked.body)["error"]?.stringValue?.contains("symlink") == true)
        #expect(host.host.dependencies.storage.snapshot().isEmpty)
    }

    @Test func theStateDirectoryDefaultsToStateAndIsCreatedPrivate() async throws {
        let parsed = try CommandLineOptions.parse(["8000", NSTemporaryDirectory()], environment: [:])
        guard case .run(let configuration) = parsed else { Issue.record("expected a run"); return }
        #expect(configuration.stateDirectory.lastPathComponent == "state")
        #expect(configuration.stateDirectory.deletingLastPathComponent().path == FileManager.default.currentDirectoryPath)

        let root = FileManager.default.temporaryDirectory.appendingPathComponent("ih-state-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let state = root.appendingPathComponent("state")
        let host = try HostProcess(
            configuration: HostConfiguration(
                port: 0, bindAddress: "127.0.0.1", integrationsPath: root, stateDirectory: state, logLevel: .error),
            logger: HostLogger(minimumLevel: .error, echoToStderr: false))
        try host.start()
        await host.shutdown(gracePeriod: .seconds(1))
        let attributes = try FileManager.default.attributesOfItem(atPath: state.path)
        #expect((attributes[.posixPermissions] as? Int) == 0o700)
    }

    @Test func aFinalSaveThatFailsIsReportedSoTheProcessCanExitNonZero() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("ih-save-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let sub = root.appendingPathComponent("sub")
        try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: true)
        let host = try HostProcess(
            configuration: HostConfiguration(
                port: 0, bindAddress: "127.0.0.1", integrationsPath: root, stateDirectory: root,
                stateFile: "sub/state.json", logLevel: .error),
            logger: HostLogger(minimumLevel: .error, echoToStderr: false))
        try host.start()
        try host.dependencies.storage.namespace("x").set("k", 1)
        // The file's directory disappears (as a disk gone read-only or full would fail the write): nothing can be saved.
        try FileManager.default.removeItem(at: sub)
        let saved = await host.shutdown(gracePeriod: .seconds(1))
        #expect(!saved)
    }
}
