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

@Suite struct ExecActionTests {
    let directory = Fixtures.temporaryDirectory()

    init() {
        Fixtures.script("args.sh", """
            #!/bin/sh
            echo "argc=$#"
            for a in "$@"; do printf '[%s]\\n' "$a"; done
            """, in: directory)
    }

    private func manifest(_ text: String) throws -> ManifestIntegration {
        try Fixtures.manifest(text, directory: directory)
    }

    @Test func argumentsPassWithoutAShell() async throws {
        let manifest = try manifest(#"""
            {"actions": [{"exec": {"argv": ["args.sh", "{{query}}", "two words", "$HOME", "`id`"]}, "into": "out"},
                         {"reply": "{{out.stdout}}"}]}
            """#)
        let reply = try await manifest.run(Fixtures.invocation(query: "; rm -rf /"))
        #expect(reply?.text == "argc=4\n[; rm -rf /]\n[two words]\n[$HOME]\n[`id`]")
    }

    /// Programs yield to request handling: they run at nice 10 (field 19 of /proc/self/stat).
    @Test func programsRunBelowRequestHandling() async throws {
        Fixtures.script("nice.sh", "#!/bin/sh\nread -r stat < /proc/self/stat\necho \"$stat\" | sed 's/.*) //' | cut -d' ' -f17\n", in: directory)
        let manifest = try manifest(#"{"actions": [{"exec": {"argv": ["nice.sh"]}, "into": "out"}, {"reply": "{{out.stdout | trim}}"}]}"#)
        #expect(try await manifest.run(Fixtures.invocation())?.text == "10")
    }

    @Test func environmentIsMinimalPlusWhatTheManifestGives() async throws {
        Fixtures.script("env.sh", "#!/bin/sh\necho \"A=$A B=${B-unset} SECRET=${MANIFEST_TEST_INHERIT-unset} HOST=${MANIFEST_TEST_HIDDEN-unset}\"\n", in: directory)
        setenv("MANIFEST_TEST_INHERIT", "passed", 1)
        setenv("MANIFEST_TEST_HIDDEN", "leaked", 1)
        defer {
            unsetenv("MANIFEST_TEST_INHERIT")
            unsetenv("MANIFEST_TEST_HIDDEN")
        }
        let manifest = try manifest(#"""
            {"actions": [{"exec": {"argv": ["env.sh"], "env": {"A": "{{query}}"}, "inherit_env": ["MANIFEST_TEST_INHERIT"]},
                          "into": "out"}, {"reply": "{{out.stdout}}"}]}
            """#)
        #expect(try await manifest.run(Fixtures.invocation(query: "x y"))?.text == "A=x y B=unset SECRET=passed HOST=unset")
    }

    @Test func workingDirectoryDefaultsToTheManifestsAndCanBeSet() async throws {
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("sub"), withIntermediateDirectories: true)
        let manifest = try manifest(#"""
            {"actions": [{"exec": {"argv": ["/bin/pwd"]}, "into": "a"}, {"exec": {"argv": ["/bin/pwd"], "dir": "sub"}, "into": "b"},
                         {"reply": "{{a.stdout}}|{{b.stdout}}"}]}
            """#)
        let real = directory.resolvingSymlinksInPath().path
        #expect(try await manifest.run(Fixtures.invocation())?.text == "\(real)|\(real)/sub")
    }

    @Test func exitStatusMapsToTheReplyAndStatus() async throws {
        Fixtures.script("fail.sh", "#!/bin/sh\necho partial\necho 'went wrong' >&2\nexit 3\n", in: directory)
        let manifest = try manifest(#"""
            {"actions": [{"exec": {"argv": ["fail.sh"]}, "into": "r",
                          "on_error": {"status": 502, "reply": "exit {{r.status}}: {{r.stderr | trim}} / {{r.stdout}}"}}]}
            """#)
        let reply = try #require(try await manifest.run(Fixtures.invocation()))
        #expect(reply.text == "exit 3: went wrong / partial")
        #expect(reply.status == 502)

        let unmapped = try self.manifest(#"{"actions": [{"exec": {"argv": ["fail.sh"]}}]}"#)
        do {
            _ = try await unmapped.run(Fixtures.invocation())
            Issue.record("expected an error")
        } catch let error as IntegrationError {
            #expect(error.status == 500)
            #expect(error.message == "exec: fail.sh exited with status 3")
        }
    }

    @Test func exitStatusCanSteerLaterActions() async throws {
        Fixtures.script("code.sh", "#!/bin/sh\nexit \"$1\"\n", in: directory)
        let manifest = try manifest(#"""
            {"actions": [{"exec": {"argv": ["code.sh", "{{query}}"]}, "into": "r", "on_error": {"continue": true}},
                         {"if": {"match": {"value": "{{r.status}}", "equals": "0"}}, "reply": "fine"},
                         {"if": {"match": {"value": "{{r.status}}", "equals": "4"}}, "reply": {"text": "four", "status": 409}}]}
            """#)
        #expect(try await manifest.run(Fixtures.invocation(query: "0"))?.text == "fine")
        let four = try await manifest.run(Fixtures.invocation(query: "4"))
        #expect(four?.text == "four" && four?.status == 409)
    }

    @Test(arguments: ExecContainment.allCases.filter { $0 == .processGroup || ExecContainment.detected == .namespace })
    func timeoutKillsTheProgramAndItsChildren(containment: ExecContainment) async throws {
        let pidFile = directory.appendingPathComponent("pids-\(containment.rawValue)")
        // It starts a child that would outlive it, both record their pids, then it waits half a minute.
        Fixtures.script("slow.sh", """
            #!/bin/sh
            (\(Self.recordHostPID) >> "$1"; exec sleep 300) &
            \(Self.recordHostPID) >> "$1"
            sleep 30
            """, in: directory)
        let manifest = try ManifestIntegration(
            json: try JSONValue(parsing: #"{"actions": [{"exec": {"argv": ["slow.sh", "\#(pidFile.path)"], "timeout": 1}, "into": "r"}]}"#),
            fileName: "test.json", directory: directory, runtime: ManifestRuntime(containment: containment))
        do {
            _ = try await manifest.run(Fixtures.invocation())
            Issue.record("expected a timeout")
        } catch let error as IntegrationError {
            #expect(error.status == 504)
        }
        // No file: the timeout came before the script ran a line, so it started nothing.
        let pids = Self.pids(in: pidFile)
        #expect(await eventually { pids.allSatisfy { !Self.isAlive($0) } }, "processes of the timed-out script kept running: \(pids)")
    }

    @Test func cancellingTheRunKillsTheProcess() async throws {
        let pidFile = directory.appendingPathComponent("pid")
        Fixtures.script("long.sh", "#!/bin/sh\n\(Self.recordHostPID) > '\(pidFile.path)'\nexec sleep 300\n", in: directory)
        let manifest = try manifest(#"{"actions": [{"exec": {"argv": ["long.sh"], "timeout": 600}}]}"#)
        let run = Task { try await manifest.run(Fixtures.invocation()) }
        // Cancelled once the script runs, so that there is a process to kill.
        _ = await eventually { Self.pid(in: pidFile) != nil }
        run.cancel()
        guard case .failure(let error as IntegrationError) = await run.result else {
            Issue.record("expected the cancelled run to fail")
            return
        }
        #expect(error.status == 504)
        let pid = try #require(Self.pid(in: pidFile), "the script never started")
        #expect(await eventually { !Self.isAlive(pid) }, "the cancelled script kept running")
    }

    @Test func manyProgramsRunAtOnce() async throws {
        let arrivals = directory.appendingPathComponent("arrivals")
        let release = PipeGate(at: directory.appendingPathComponent("release"))
        // Each program signs in, then waits until the test lets them all go.
        Fixtures.script("meet.sh", "#!/bin/sh\necho $$ >> \"$1\"\n: < \"$2\"\n", in: directory)
        let manifest = try manifest(#"""
            {"actions": [{"exec": {"argv": ["meet.sh", "\#(arrivals.path)", "\#(release.path)"]}}, {"reply": "done"}]}
            """#)
        try await withThrowingTaskGroup(of: String?.self) { group in
            for _ in 0..<60 { group.addTask { try await manifest.run(Fixtures.invocation())?.text } }
            #expect(
                await eventually { Self.lines(of: arrivals) == 60 },
                "only \(Self.lines(of: arrivals)) of 60 programs were running at once")
            release.open()
            for try await text in group { #expect(text == "done") }
        }
    }

    @Test func outputIsCappedButTheProcessFinishes() async throws {
        Fixtures.script("big.sh", "#!/bin/sh\nhead -c 300000 /dev/zero | tr '\\0' x\necho\necho done >&2\n", in: directory)
        let manifest = try manifest(#"""
            {"actions": [{"exec": {"argv": ["big.sh"], "max_output": 1000}, "into": "r"}, {"set": {"s": "{{r.stderr | trim}}"}},
                         {"reply": {"text": "{{r.stdout}}", "json": "{{r}}"}}]}
            """#)
        let reply = try #require(try await manifest.run(Fixtures.invocation()))
        #expect(reply.text.count == 1000)
        #expect(reply.json?["stderr"] == "done\n")
        #expect(reply.json?["status"] == 0)
    }

    @Test func notWaitingRepliesAtOnce() async throws {
        let marker = directory.appendingPathComponent("ran")
        let release = PipeGate(at: directory.appendingPathComponent("release"))
        Fixtures.script("later.sh", "#!/bin/sh\n: < \"$2\"\ntouch \"$1\"\n", in: directory)
        let manifest = try manifest(#"""
            {"actions": [{"exec": {"argv": ["later.sh", "{{query}}", "\#(release.path)"], "wait": false}}, {"reply": "started"}]}
            """#)
        // The program cannot end before the test lets it go, which it does only once it has the reply.
        #expect(try await manifest.run(Fixtures.invocation(query: marker.path))?.text == "started")
        #expect(!FileManager.default.fileExists(atPath: marker.path))
        release.open()
        // The program still runs to its end.
        #expect(await eventually { FileManager.default.fileExists(atPath: marker.path) })
    }

    @Test func aProgramNotWaitedForIsReapedAndItsFailureLogged() async throws {
        Fixtures.script("bad-later.sh", "#!/bin/sh\nsleep 0.1\nexit 7\n", in: directory)
        let (logger, file) = Fixtures.recordingLogger()
        let manifest = try manifest(#"{"actions": [{"exec": {"argv": ["bad-later.sh"], "wait": false}}, {"reply": "started"}]}"#)
        #expect(try await manifest.run(Fixtures.invocation(logger: logger))?.text == "started")
        let line = "exec: bad-later.sh (not waited for) ended with status 7"
        #expect(await eventually { ((try? String(contentsOf: file, encoding: .utf8)) ?? "").contains(line) })
    }

    @Test func hostDescriptorsAreNotInherited() async throws {
        let held = open("/dev/null", O_RDONLY)
        defer { close(held) }
        let manifest = try manifest(#"""
            {"actions": [{"exec": {"argv": ["/bin/ls", "/proc/self/fd"]}, "into": "r"}, {"reply": "{{r.stdout}}"}]}
            """#)
        let fds = try #require(try await manifest.run(Fixtures.invocation())?.text).split(separator: "\n").compactMap { Int($0) }
        #expect(fds.allSatisfy { $0 <= 3 }, "child saw descriptors \(fds)")
    }

    /// Shell that prints the shell's own pid as the host numbers it. In a program's own PID namespace `$$` is the
    /// namespace's number, but /proc is the host's: the shell itself opens /proc/self/stat, whose first field is
    /// its pid.
    static let recordHostPID = "read -r pid rest < /proc/self/stat; echo $pid"

    /// The pid a script wrote to `file`, once it has.
    static func pid(in file: URL) -> pid_t? {
        (try? String(contentsOf: file, encoding: .utf8)).flatMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    /// The pids a script wrote to `file`, one a line.
    static func pids(in file: URL) -> [pid_t] {
        ((try? String(contentsOf: file, encoding: .utf8)) ?? "").split(separator: "\n").compactMap { pid_t($0) }
    }

    /// Whether process `pid` exists and has not ended: `kill(pid, 0)` finds it and it is no zombie (a killed
    /// process reparented to an init that reaps slowly stays a zombie for a while).
    static func isAlive(_ pid: pid_t) -> Bool {
        guard kill(pid, 0) == 0 || errno != ESRCH else { return false }
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")")
        else { return false }
        let state = stat[stat.index(after: close)...].split(separator: " ").first
        return state != "Z" && state != "X"
    }

    /// How many lines `file` has (0 while it does not exist).
    static func lines(of file: URL) -> Int {
        ((try? String(contentsOf: file, encoding: .utf8)) ?? "").split(separator: "\n").count
    }
}
