import Foundation
import TestSupport
import Sandbox
import Testing

#if canImport(Glibc)
    import Glibc
#endif

let landlockABI = Sandbox.landlockABI ?? 0

/// The kernel's answers to a confined probe: with `SandboxPolicy.pluginWorker` it can load its plugin and nothing
/// else, and each grant opens exactly what it names. Every refusal is checked against the same action without the
/// sandbox, so it is the sandbox that refuses.
@Suite struct ConfinementTests {
    @Test(.enabled(if: landlockABI >= 1)) func readingOutsideThePolicyIsRefused() throws {
        let free = try SandboxProbe.run(["--no-sandbox"], ["read", "/etc/passwd"])
        #expect(free["read /etc/passwd"] == "ok")

        let confined = try SandboxProbe.run([], ["read", "/etc/passwd", "read", "/etc/ld.so.cache"])
        #expect(confined["read /etc/passwd"] == "EACCES")
        #expect(confined["read /etc/ld.so.cache"] == "ok")
    }

    @Test(.enabled(if: landlockABI >= 1)) func readGrantsOpenADirectoryOrJustAFile() throws {
        let file = try SandboxProbe.run(
            ["--grant", "read:/etc/passwd"], ["read", "/etc/passwd", "read", "/etc/hostname"])
        #expect(file["read /etc/passwd"] == "ok")
        #expect(file["read /etc/hostname"] == "EACCES")

        let directory = try SandboxProbe.run(["--grant", "read:/etc"], ["read", "/etc/passwd", "read", "/etc/hostname"])
        #expect(directory["read /etc/passwd"] == "ok")
        #expect(directory["read /etc/hostname"] == "ok")
    }

    @Test(.enabled(if: landlockABI >= 1)) func writingIsRefusedUntilGranted() throws {
        let directory = try SandboxProbe.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("written").path

        let confined = try SandboxProbe.run([], ["write", file])
        #expect(confined["write \(file)"] == "EACCES")
        #expect(!FileManager.default.fileExists(atPath: file))

        let granted = try SandboxProbe.run(["--grant", "write:\(directory.path)"], ["write", file, "read", file])
        #expect(granted["write \(file)"] == "ok")
        #expect(granted["read \(file)"] == "ok")
        #expect(try String(contentsOfFile: file, encoding: .utf8) == "x")
        // A read grant does not let it write.
        let readOnly = try SandboxProbe.run(["--grant", "read:\(directory.path)"], ["write", file, "read", file])
        #expect(readOnly["write \(file)"] == "EACCES")
        #expect(readOnly["read \(file)"] == "ok")
    }

    @Test(.enabled(if: landlockABI >= 4)) func landlockAloneRefusesTCP() throws {
        let listener = try Listener()
        let connect = "connect 127.0.0.1 \(listener.port)"
        let actions = ["connect", "127.0.0.1", "\(listener.port)", "bind-tcp", "socket-inet"]
        let free = try SandboxProbe.run(["--no-sandbox"], actions)
        #expect(free[connect] == "ok")
        #expect(free["bind-tcp"] == "ok")

        let confined = try SandboxProbe.run(["--without", "seccomp"], actions)
        #expect(!confined.report.contains("seccomp"))
        #expect(confined[connect] == "EACCES")
        #expect(confined["bind-tcp"] == "EACCES")
        // Landlock rules TCP only: making a (UDP) socket is the seccomp filter's to refuse.
        #expect(confined["socket-inet"] == "ok")
    }

    @Test func seccompAloneRefusesNewSocketsButNotASocketpair() throws {
        let listener = try Listener()
        let directory = try SandboxProbe.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        // Landlock (ABI ≤ 7) does not rule connecting to a socket file, wherever it is: the filter does.
        let socketFile = directory.appendingPathComponent("daemon.sock").path
        let daemon = try Listener(unix: socketFile, abstract: false)
        defer { withExtendedLifetime(daemon) {} }
        let connect = "connect 127.0.0.1 \(listener.port)"
        let actions = [
            "connect", "127.0.0.1", "\(listener.port)", "socket-inet", "socket-inet6", "connect-unix", socketFile,
            "socketpair",
        ]
        let free = try SandboxProbe.run(["--no-sandbox"], actions)
        #expect(free["connect-unix \(socketFile)"] == "ok")

        let confined = try SandboxProbe.run(["--without", "landlock-network"], actions)
        #expect(!confined.report.contains("TCP bind/connect refused"))
        #expect(confined[connect] == "EACCES")
        #expect(confined["socket-inet"] == "EACCES")
        #expect(confined["socket-inet6"] == "EACCES")
        #expect(confined["connect-unix \(socketFile)"] == "EACCES")
        // The worker's channel to the host is a socketpair: it still works.
        #expect(confined["socketpair"] == "ok")
    }

    @Test func theNetworkGrantAllowsTCPSocketsAndNameResolution() throws {
        let listener = try Listener()
        let actions = ["connect", "127.0.0.1", "\(listener.port)", "bind-tcp", "socket-inet6", "resolve", "localhost"]
        let confined = try SandboxProbe.run([], actions)
        #expect(confined["resolve localhost"] != "ok")

        let granted = try SandboxProbe.run(["--grant", "network"], actions)
        #expect(granted["connect 127.0.0.1 \(listener.port)"] == "ok")
        #expect(granted["bind-tcp"] == "ok")
        #expect(granted["socket-inet6"] == "ok")
        #expect(granted["resolve localhost"] == "ok")
    }

    @Test(.enabled(if: landlockABI >= 6)) func signalsAndAbstractSocketsOutsideTheSandboxAreRefused() throws {
        let name = "sandbox-tests-\(UUID().uuidString)"
        let listener = try Listener(unix: name, abstract: true)
        defer { withExtendedLifetime(listener) {} }
        let actions = ["connect-abstract", name, "signal", "\(getpid())"]
        let free = try SandboxProbe.run(["--no-sandbox"], actions)
        #expect(free["connect-abstract \(name)"] == "ok")
        #expect(free["signal \(getpid())"] == "ok")

        let confined = try SandboxProbe.run(["--grant", "network"], actions)
        #expect(confined["connect-abstract \(name)"] == "EPERM")
        #expect(confined["signal \(getpid())"] == "EPERM")
    }

    @Test func memoryPastTheLimitIsRefusedPrivateOrShared() throws {
        let run = try SandboxProbe.run(
            ["--memory", "64"], ["alloc", "8", "alloc", "128", "map-shared", "8", "map-shared", "128", "alloc", "8"])
        #expect(run["alloc 8"] == "ok")
        #expect(run["alloc 128"] == "ENOMEM")
        #expect(run["map-shared 8"] == "ok")
        // RLIMIT_DATA alone would let this through; the address-space limit does not.
        #expect(run["map-shared 128"] == "ENOMEM")
        #expect(run.report.contains("RLIMIT_DATA 64 MiB"))
    }

    @Test func theCPULimitEndsASpinningProcessWithSIGXCPU() throws {
        let run = try SandboxProbe.run(["--cpu", "1"], ["spin"])
        #expect(run.signal == SIGXCPU)
    }

    /// A worker runs below request handling, every thread it starts too, and cannot climb back: RLIMIT_NICE keeps
    /// an unprivileged one there, and a worker of a root host has given up CAP_SYS_NICE (this machine's root has it:
    /// without the capability drop, `renice 0` is "ok" here).
    @Test func theWorkerRunsAtItsNicenessAndCannotLowerIt() throws {
        let free = try SandboxProbe.run(["--no-sandbox"], ["nice"])
        #expect(free["nice"] == "\(getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0))")

        let niceness = SandboxPolicy.pluginWorkerNiceness
        let confined = try SandboxProbe.run([], ["nice", "thread-nice", "renice", "\(niceness + 5)", "renice", "0"])
        #expect(confined["nice"] == "\(niceness)")
        #expect(confined["thread-nice"] == "\(niceness)")
        #expect(confined["renice \(niceness + 5)"] == "ok")
        #expect(confined["renice 0"] == "EACCES")
        #expect(confined.report.contains("nice \(niceness)"))
    }

    /// A worker cannot lift its memory limit: raising a hard limit takes CAP_SYS_RESOURCE, which a worker of a root
    /// host gives up with every other capability.
    @Test func aWorkerCannotLiftItsMemoryLimit() throws {
        let confined = try SandboxProbe.run(["--memory", "64"], ["lift-memory-limit", "alloc", "128"])
        #expect(confined["lift-memory-limit"] == "EPERM")
        #expect(confined["alloc 128"] == "ENOMEM")
        #expect(confined.report.contains("capabilities: none"))
    }

    @Test(.enabled(if: landlockABI >= 1)) func theWorkerLoadsItsPluginAndNoOtherFile() throws {
        let directory = try SandboxProbe.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        // A C plugin, and a Swift one, which loads FoundationEssentials from the Swift runtime's directory.
        for product in ["CounterPlugin", "ParrotPlugin"] {
            let plugin = try SandboxProbe.pluginCopy(product, in: directory).path
            let original = SandboxProbe.buildDirectory.appendingPathComponent("lib\(product).so").path
            let run = try SandboxProbe.run(["--plugin", plugin], ["dlopen", plugin, "dlopen", original])
            #expect(run["dlopen \(plugin)"] == "ok")
            #expect(run["dlopen \(original)"]?.hasSuffix("Permission denied") == true)
        }
    }

    @Test func applyRefusesAProcessThatAlreadyHasThreads() throws {
        let run = try SandboxProbe.run(["--thread"], ["read", "/etc/passwd"])
        #expect(run.status == 2)
        #expect(run.applyError?.contains("2 threads") == true)
        #expect(run.results.isEmpty)
    }

    @Test(.enabled(if: landlockABI >= 1)) func applyRefusesAGrantedPathThatIsMissing() throws {
        let run = try SandboxProbe.run(["--grant", "read:/nonexistent-sandbox-test"], ["read", "/etc/passwd"])
        #expect(run.status == 2)
        #expect(run.applyError == "sandbox: landlock rule for /nonexistent-sandbox-test failed: ENOENT")
    }

    @Test func theReportNamesEveryWall() throws {
        let run = try SandboxProbe.run(["--memory", "256", "--cpu", "30"], [])
        let walls = [
            "no_new_privs", "RLIMIT_DATA 256 MiB", "RLIMIT_AS", "RLIMIT_CPU 30 s", "nice 10", "seccomp",
            "capabilities: none",
        ]
        for item in walls {
            #expect(run.report.contains(item), "\(item) in \(run.report)")
        }
        if landlockABI >= 6 {
            #expect(run.report.contains("landlock ABI \(landlockABI)"))
            #expect(run.report.contains("landlock: TCP bind/connect refused"))
            #expect(run.report.contains("unavailable: \n"))
        }
    }

    /// The probe asks for SIGKILL when its parent, a shell, exits; the shell exits once the probe says it is
    /// confined and spinning. The probe's stderr reaching EOF means it is gone: it never closes it itself.
    @Test(.timeLimit(.minutes(1))) func aWorkerDiesWithItsParent() throws {
        let directory = try SandboxProbe.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let shell = try Subprocess("/bin/sh", [
            "-c",
            #"""
            mkfifo "$1/ready"
            "$0" --die-with-parent $$ --cpu 120 -- ready spin >"$1/ready" &
            read -r line <"$1/ready"
            echo "$line"
            """#,
            try SandboxProbe.executable().path, directory.path,
        ])
        let finished = shell.finish()
        #expect(finished.stdoutText == "ready: ok\n")
        #expect(finished.stderrText.contains("enforced: no_new_privs"))
    }
}
