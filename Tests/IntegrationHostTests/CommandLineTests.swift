import Foundation
import HostApp
import HostCore
import IntegrationContract
import Logging
import Manifests
import Platforms
import Plugins
import Testing
import TestSupport

@Suite struct CommandLineTests {
    static let directory = FileManager.default.temporaryDirectory.path
    static let file: String = {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ih-not-a-dir-\(getpid())").path
        _ = FileManager.default.createFile(atPath: path, contents: Data())
        return path
    }()

    func configuration(_ arguments: [String], environment: [String: String] = [:]) throws -> HostConfiguration {
        guard case .run(let configuration) = try CommandLineOptions.parse(arguments, environment: environment) else {
            Issue.record("expected a run action")
            throw CancellationError()
        }
        return configuration
    }

    @Test func positionalForm() throws {
        let c = try configuration(["8000", Self.directory, "1234:deploy:ROOM", "send_message:GLOBAL"])
        #expect(c.port == 8000)
        #expect(c.integrationsPath.path == URL(fileURLWithPath: Self.directory).standardizedFileURL.path)
        #expect(c.tokens.token(room: "1234", integration: "deploy") == "ROOM")
        #expect(c.tokens.global["send_message"] == "GLOBAL")
        #expect(c.bindAddress == "0.0.0.0")
        #expect(c.deadline == .seconds(10))
        #expect(c.maxExec == ExecSlots.defaultLimit)
        #expect(c.execContainment == nil)
        #expect(c.regexThreads == RegexPool.defaultThreads)
        #expect(c.trustedProxies.isEmpty)
        #expect(c.plugins.isolation.niceness == 10)
        #expect(c.plugins.isolation.cpuLimit == 600)
    }

    @Test func flagForm() throws {
        let c = try configuration([
            "-p", "9000", "-i", Self.directory, "-t", "a:1", "5:x:2", "--bind", "::1", "--admin-token", "adm",
            "--hipchat-api", "http://127.0.0.1:1/", "--deadline", "2.5", "--state-dir", Self.directory,
            "--max-exec", "16", "--exec-containment", "process-group", "--regex-threads", "4",
            "--trusted-proxy", "127.0.0.1/32", "--trusted-proxy", "fd00::/8",
            "--max-body", "25", "--plugin-workers", "3", "--plugin-workers", "parrot=1", "--plugin-workers", "notes=8", "--plugin-memory", "0", "--plugin-cpu", "0",
            "--plugin-nice", "0",
        ], environment: ["LOG_LEVEL": "debug"])
        #expect(c.port == 9000)
        #expect(c.tokens.global["a"] == "1")
        #expect(c.tokens.token(room: "5", integration: "x") == "2")
        #expect(c.bindAddress == "::1")
        #expect(c.effectiveAdminToken == "adm")
        #expect(c.hipchatAPI.absoluteString == "http://127.0.0.1:1/")
        #expect(c.deadline == .milliseconds(2500))
        #expect(c.maxExec == 16)
        #expect(c.execContainment == .processGroup)
        #expect(c.regexThreads == 4)
        #expect(c.trustedProxies.ranges.map(\.description) == ["127.0.0.1/32", "fd00::/8"])
        #expect(c.webhookBodyLimit == 25 << 20)
        #expect(c.plugins.isolation.workers == 3)
        #expect(c.plugins.isolation.workersByPlugin == ["parrot": 1, "notes": 8])
        #expect(c.plugins.isolation.memoryLimit == nil)
        #expect(c.plugins.isolation.cpuLimit == nil)
        #expect(c.plugins.isolation.niceness == 0)
        #expect(c.logLevel == .debug)
    }

    @Test func adminTokenFromGlobalToken() throws {
        #expect(try configuration(["1", Self.directory, "admin:xyz"]).effectiveAdminToken == "xyz")
    }

    @Test(arguments: [
        ([], "missing PORT"),
        (["http"], "PORT must be a number, got 'http'"),
        (["0", "."], "PORT must be 1-65535, got 0"),
        (["65536", "."], "PORT must be 1-65535, got 65536"),
        (["8000"], "missing INTEGRATIONS_PATH"),
        (["8000", "/nonexistent-ih"], "INTEGRATIONS_PATH '/nonexistent-ih' does not exist"),
        (["8000", CommandLineTests.file], "INTEGRATIONS_PATH '\(CommandLineTests.file)' is not a directory"),
        (["8000", ".", "garbage"], "token #1 is malformed: expected NAME:VALUE or ROOM:INTEGRATION:VALUE"),
        (["8000", ".", "a:1", "a:2"], "duplicate global token a"),
        (["8000", ".", "1:x:1", "1:x:2"], "duplicate token for room 1 and integration x"),
        (["8000", ".", "--frobnicate"], "unknown option --frobnicate"),
        (["8000", ".", "--bind", "example.com"], "--bind must be an IPv4 or IPv6 address, got 'example.com'"),
        (["8000", ".", "--state", "../x"], "--state ../x: file must not contain empty, '.' or '..' path segments"),
        (["8000", ".", "--deadline", "0"], "--deadline must be a number of seconds in (0, 3600], got '0'"),
        (["8000", ".", "--max-exec", "0"], "--max-exec must be a whole number in 1-100000, got '0'"),
        (["8000", ".", "--max-exec", "many"], "--max-exec must be a whole number in 1-100000, got 'many'"),
        (["8000", ".", "--exec-containment", "jail"], "--exec-containment must be namespace or process-group, got 'jail'"),
        (["8000", ".", "--regex-threads", "0"], "--regex-threads must be a whole number in 1-64, got '0'"),
        (["8000", ".", "--trusted-proxy", "10.0.0.0/33"],
            "--trusted-proxy must be an IPv4 or IPv6 address or CIDR block, got '10.0.0.0/33'"),
        (["8000", ".", "--trusted-proxy", "proxy.local"],
            "--trusted-proxy must be an IPv4 or IPv6 address or CIDR block, got 'proxy.local'"),
        (["8000", ".", "--max-body", "0"], "--max-body must be a whole number of MiB in 1-1024, got '0'"),
        (["8000", ".", "--max-body", "2048"], "--max-body must be a whole number of MiB in 1-1024, got '2048'"),
        (["8000", ".", "--hipchat-api", "ftp://x"], "--hipchat-api must be an http(s) URL, got 'ftp://x'"),
        (["8000", ".", "--plugin-workers", "2", "--plugin-workers", "3"], "--plugin-workers given twice"),
        (["8000", ".", "--plugin-workers", "a=1", "--plugin-workers", "a=2"], "--plugin-workers given twice for a"),
        (["8000", ".", "--plugin-workers", "a=0"],
            "--plugin-workers NAME=N needs a plugin name and a whole number in 1-256, got 'a=0'"),
        (["8000", ".", "--plugin-workers", "a b=1"],
            "--plugin-workers NAME=N needs a plugin name and a whole number in 1-256, got 'a b=1'"),
        (["8000", ".", "--plugin-cpu", "-5"], "--plugin-cpu must be a whole number of seconds in 0-1000000, got '-5'"),
        (["8000", ".", "--plugin-nice", "20"], "--plugin-nice must be a whole number in 0-19, got '20'"),
        (["8000", ".", "--plugin-nice", "-1"], "--plugin-nice must be a whole number in 0-19, got '-1'"),
        (["-p", "1", "-p", "2", "."], "--port given twice"),
        (["8000", ".", "--logfile"], "--logfile needs a value"),
    ])
    func invalid(_ arguments: [String], _ message: String) {
        #expect(throws: CommandLineOptions.UsageError(description: message)) {
            try CommandLineOptions.parse(arguments, environment: [:])
        }
    }

    @Test func anEmptyPlatformSecretIsAStartupError() throws {
        for name in ["SLACK_SIGNING_SECRET", "DEPLOY_GITHUB_SECRET", "TEAMS_WEBHOOK_URL"] {
            #expect(
                throws: CommandLineOptions.UsageError(
                    description: "\(name) is set but empty: an empty secret would leave its route open; unset it or give it a value")
            ) {
                try CommandLineOptions.parse(["8000", "."], environment: [name: ""])
            }
        }
        // Plain settings and unrelated variables may be empty.
        _ = try configuration(["8000", "."], environment: ["SLACK_ACK_TEXT": "", "GITHUB_TOKEN": "", "HOME": ""])
    }

    @Test func badLogLevel() {
        #expect(throws: CommandLineOptions.UsageError.self) {
            try CommandLineOptions.parse(["8000", "."], environment: ["LOG_LEVEL": "loud"])
        }
    }

    /// The real binary: exit status 2, the usage line and the exact problem on stderr, and no listener.
    @Test(arguments: [
        (["abc", "."], "PORT must be a number, got 'abc'"),
        (["8000", "/nonexistent-ih"], "INTEGRATIONS_PATH '/nonexistent-ih' does not exist"),
        (["8000", ".", "1:x:SECRETVALUE", "1:x:SECRETVALUE"], "duplicate token for room 1 and integration x"),
        (["8000", ".", "--nope"], "unknown option --nope"),
    ])
    func binaryExitsTwo(_ arguments: [String], _ message: String) throws {
        let (status, stderr) = try Self.runBinary(arguments)
        #expect(status == 2)
        #expect(stderr.contains("usage: integration-host PORT INTEGRATIONS_PATH"))
        #expect(stderr.contains("error: \(message)"))
        #expect(!stderr.contains("SECRETVALUE"))
    }

    @Test func binaryHelpAndVersion() throws {
        #expect(try Self.runBinary(["--version"]).status == 0)
        #expect(try Self.runBinary(["--help"]).status == 0)
    }

    /// The real binary: SIGHUP rescans the directory, SIGTERM stops it gracefully with exit status 0.
    @Test func binaryHandlesSignals() async throws {
        let root = try Self.freshDirectory("ih-signals")
        defer { try? FileManager.default.removeItem(at: root) }
        let log = root.appendingPathComponent("host.log")
        let process = try Subprocess(
            Self.binary.path, Self.runArguments(directory: root, log: log) + ["--state-dir", root.path, "--state", "state.json"])
        func logged(_ text: String) async -> Bool {
            await eventually { ((try? String(contentsOf: log, encoding: .utf8)) ?? "").contains(text) }
        }
        #expect(await logged("listening on 127.0.0.1:"))
        // The host installs its handlers just after it starts listening; a signal sent before would kill it or be lost.
        #expect(await eventually { Self.catches(process.pid, [SIGHUP, SIGTERM]) })
        kill(process.pid, SIGHUP)
        #expect(await logged("rescanning \(root.path)"))
        kill(process.pid, SIGTERM)
        #expect(process.finish().status == 0)
        #expect(await logged("signal 15 received"))
    }

    /// The real binary started with a soft descriptor limit of 256 (as `ulimit -Sn` leaves it) raises it to what
    /// 10,000 connections and 128 exec programs need (10,640), or to the hard limit when that is lower.
    @Test func binaryRaisesItsDescriptorLimit() async throws {
        let root = try Self.freshDirectory("ih-limit")
        defer { try? FileManager.default.removeItem(at: root) }
        let log = root.appendingPathComponent("host.log")
        var limit = rlimit()
        getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
        let expected = min(10_640, Int(clamping: limit.rlim_max))
        let process = try Subprocess(
            "/bin/sh", ["-c", "ulimit -Sn 256 && exec \"$0\" \"$@\"", Self.binary.path]
                + Self.runArguments(directory: root, log: log) + ["--state-dir", root.path])
        defer {
            kill(process.pid, SIGTERM)
            _ = process.finish()
        }
        #expect(await eventually { ((try? String(contentsOf: log, encoding: .utf8)) ?? "").contains("listening on") })
        let limits = try String(contentsOfFile: "/proc/\(process.pid)/limits", encoding: .utf8)
        let line = try #require(limits.split(separator: "\n").first { $0.hasPrefix("Max open files") })
        let soft = line.split(separator: " ", omittingEmptySubsequences: true).dropFirst(3).first.flatMap { Int($0) }
        #expect(soft == expected, "\(line)")
        let logged = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        #expect(logged.contains("descriptor limit raised from 256 to \(expected)"))
    }

    /// Whether process `pid` has handlers installed for all of `signals` (its caught-signal mask in /proc).
    static func catches(_ pid: pid_t, _ signals: [Int32]) -> Bool {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("SigCgt:") }),
            let mask = UInt64(line.split(separator: "\t").last ?? "", radix: 16)
        else { return false }
        return signals.allSatisfy { mask & (1 << UInt64($0 - 1)) != 0 }
    }

    /// A new empty directory for one run of the binary; the caller removes it.
    static func freshDirectory(_ prefix: String) throws -> URL {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        return root
    }

    /// Arguments that run the host on 127.0.0.1 over `directory`, logging to `log`. The port is below the ephemeral
    /// range (32768+), so no client socket of a parallel test can hold it.
    static func runArguments(directory: URL, log: URL) -> [String] {
        [String(Int.random(in: 20_000...32_000)), directory.path, "--bind", "127.0.0.1", "--logfile", log.path]
    }

    static func runBinary(_ arguments: [String]) throws -> (status: Int32, stderr: String) {
        let result = try Subprocess.run(binary.path, arguments)
        return (result.status, result.stderrText)
    }

    /// The built executable beside the test bundle.
    static let binary: URL = {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 where !FileManager.default.fileExists(atPath: directory.appendingPathComponent("integration-host").path) {
            directory.deleteLastPathComponent()
        }
        return directory.appendingPathComponent("integration-host")
    }()
}
