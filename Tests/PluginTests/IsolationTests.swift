import Foundation
import Glibc
import JSON
import Sandbox
import Synchronization
import Testing
import TestSupport

@testable import HostApp
@testable import HostCore
@testable import IntegrationContract
@testable import Logging
@testable import Manifests
@testable import Platforms
@testable import Plugins

extension PluginTests {
    /// Plugins in worker processes, driven over loopback HTTP with C plugins that misbehave on demand: a crash, a
    /// hang or a memory bomb costs one answer, the host and its other integrations keep answering.
    @Suite struct IsolationTests {
        /// A plugin `misbehaving` that does what its query says: `ok` replies, `null` dereferences NULL, `abort`,
        /// `exit` (3), `loop` spins for ever, `bomb` allocates and touches memory until malloc fails.
        static let misbehaving = PluginFixtures.cPlugin(
            name: "misbehaving", prelude: "#include <stdlib.h>",
            body: """
                if (strstr(request, "\\"query\\":\\"null\\"")) { volatile int *p = 0; *p = 1; }
                if (strstr(request, "\\"query\\":\\"abort\\"")) abort();
                if (strstr(request, "\\"query\\":\\"exit\\"")) exit(3);
                if (strstr(request, "\\"query\\":\\"loop\\"")) { volatile unsigned long n = 0; for (;;) n++; }
                if (strstr(request, "\\"query\\":\\"bomb\\"")) {
                    for (;;) { char *p = malloc(1 << 20); if (!p) { volatile int *q = 0; *q = 1; } memset(p, 1, 1 << 20); }
                }
                \(PluginFixtures.replying("fine"))
                """)

        static let echo = #"{"actions": [{"reply": "{{query}}"}]}"#

        /// A host with the `echo` manifest and one C plugin, `misbehaving` unless another is named.
        static func host(
            deadline: Duration = .seconds(10), plugin: (name: String, source: String) = ("misbehaving", misbehaving),
            isolation: (inout PluginIsolation) -> Void = { _ in }
        ) throws -> PluginTestHost {
            let host = try PluginTestHost(files: ["echo.json": echo], deadline: deadline, isolation: isolation)
            try PluginFixtures.compileC(plugin.source, to: host.integrations.appendingPathComponent("\(plugin.name).so"))
            return host
        }

        @Test func crashesAnswer502AndTheNextCallWorksOnARestartedWorker() async throws {
            let host = try Self.host()
            defer { Task { await host.stop() } }
            #expect(try JSONValue(parsing: try await host.hipchat("/misbehaving ok").body)["message"] == "fine")
            for (query, how) in [("null", "signal 11"), ("abort", "signal 6"), ("exit", "exit 3")] {
                let crashed = try await host.hipchat("/misbehaving \(query)")
                #expect(crashed.status == 502)
                #expect(try JSONValue(parsing: crashed.body)["error"] == .string("misbehaving: plugin crashed (\(how))"))
                let requestID = try #require(crashed.requestID)
                #expect(host.log.contains("request=\(requestID) integration=misbehaving plugin misbehaving crashed (\(how))"))
                // Everything else keeps answering, and the plugin answers again on a fresh worker.
                #expect(try JSONValue(parsing: try await host.hipchat("/echo still here").body)["message"] == "still here")
                #expect(try JSONValue(parsing: try await host.hipchat("/misbehaving ok").body)["message"] == "fine")
            }
        }

        @Test func aCrashLoopMakesThePluginUnavailableUntilItsFileChanges() async throws {
            let host = try Self.host { isolation in
                isolation.crashLimit = 3
                isolation.firstBackoff = .milliseconds(1)
            }
            defer { Task { await host.stop() } }
            for _ in 0..<3 { #expect(try await host.hipchat("/misbehaving null").status == 502) }
            let refused = try await host.hipchat("/misbehaving ok")
            #expect(refused.status == 503)
            #expect(refused.headers["retry-after"] != nil)
            #expect(try JSONValue(parsing: refused.body)["error"]?.stringValue?.contains("crashed 3 times") == true)
            let health = try JSONValue(parsing: try await host.request("GET", "/healthz").body)
            #expect(health["status"] == "ok")
            let degraded = health["degraded"]?.arrayValue ?? []
            #expect(degraded.first?["integration"] == "misbehaving")

            // SIGHUP's reload gives it a fresh start.
            host.host.reload()
            #expect(try await host.hipchat("/misbehaving ok").status == 200)

            // So does a changed file.
            for _ in 0..<3 { _ = try await host.hipchat("/misbehaving null") }
            #expect(try await host.hipchat("/misbehaving ok").status == 503)
            let file = host.integrations.appendingPathComponent("misbehaving.so")
            try PluginFixtures.compileC(Self.misbehaving + "\n/* changed */", to: file)
            #expect(await eventually { (try? await host.hipchat("/misbehaving ok").status) == 200 })
        }

        /// `/metrics` counts each crashed worker's restart for its plugin (no admin token: a loopback caller).
        @Test func workerRestartsAreCountedInTheMetrics() async throws {
            let host = try Self.host()
            defer { Task { await host.stop() } }
            for _ in 0..<2 { #expect(try await host.hipchat("/misbehaving exit").status == 502) }
            #expect(try await host.hipchat("/misbehaving ok").status == 200)
            let metrics = try await host.request("GET", "/metrics")
            #expect(metrics.status == 200)
            let lines = metrics.body.split(separator: "\n")
            #expect(lines.contains(#"integration_host_plugin_worker_restarts_total{integration="misbehaving"} 2"#))
            #expect(!lines.contains { $0.hasPrefix(#"integration_host_plugin_worker_restarts_total{integration="echo"}"#) })
        }

        @Test func aHangIsAnsweredAtTheDeadlineAndItsWorkerIsKilled() async throws {
            let host = try Self.host(deadline: .seconds(1))
            defer { Task { await host.stop() } }
            let hung = try await host.hipchat("/misbehaving loop")
            #expect(hung.status == 504)
            #expect(await eventually { host.log.contains("killed: the run was cancelled") })
            let line = try #require(host.log.split(separator: "\n").first { $0.contains("killed: the run was cancelled") })
            let words = line.split(separator: " ")
            let position = try #require(words.firstIndex(of: "worker"))
            let pid = try #require(Int32(words[position + 1]))
            // Killed and reaped: the pid is gone, so its CPU is free again. (That the plugin answers again on a fresh
            // worker is the crash test's; here a busy machine could not start one within the 1 s deadline.)
            #expect(await eventually { kill(pid, 0) != 0 && errno == ESRCH })
        }

        /// Callers that leave while their calls run. Their workers were once killed at once, and a worker killed as
        /// its result was on its way was checked in again, so the next call found it dead and counted a crash
        /// (signal 9): five of those in a minute made the plugin unavailable to everyone because some callers hung
        /// up, and each hang-up cost a worker restart. Now a cancelled call has a grace period to end: these quick
        /// calls end within it, no worker is killed, no crash is counted, and the plugin keeps answering.
        @Test func callersThatLeaveMidCallCostNoWorkerAndNoCrash() async throws {
            // A grace no call here comes near, however busy the machine: what is tested is that a call ending
            // within it keeps its worker, not how long a call takes.
            let host = try Self.host(isolation: { $0.cancelledCallGrace = .seconds(30) })
            defer { Task { await host.stop() } }
            #expect(try JSONValue(parsing: try await host.hipchat("/misbehaving ok").body)["message"] == "fine")
            let body = try PluginFixtures.hipchatBody(message: "/misbehaving ok")
            let request = Array("POST /hipchat HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: \(body.count)\r\n\r\n".utf8) + body
            let port = host.host.port
            // 8 callers, 500 calls each, hanging up (with a reset) after 0 to ~1.5 ms: some before their call
            // starts, some during it, some as its result comes back.
            await withTaskGroup(of: Void.self) { group in
                for caller in 0..<8 {
                    group.addTask {
                        var random = SplitMix(seed: UInt64(caller + 1))
                        for _ in 0..<500 {
                            Self.sendAndHangUp(request, port: port, afterMicroseconds: UInt32(random.next() % 1500))
                        }
                    }
                }
            }
            // Whatever the callers left behind has ended, then the plugin answers, and no crash was ever counted.
            #expect(await eventually { (try? await host.hipchat("/misbehaving ok"))?.status == 200 })
            #expect(try JSONValue(parsing: try await host.hipchat("/misbehaving ok").body)["message"] == "fine")
            #expect(!host.log.contains("crashed"), "a worker killed for a cancelled call was counted as a crash")
            #expect(!host.log.contains("is unavailable"))
            #expect(!host.log.contains("killed: the run was cancelled"), "a quick call lost its worker to a hang-up")
            #expect(host.log.contains("cancelled: the caller went away"), "no caller left mid-call: the test tested nothing")
            // A hang-up is logged, but not as an error.
            #expect(!host.log.split(separator: "\n").contains { $0.contains(" error ") && $0.contains("the caller went away") })
        }

        /// Sends `request` to 127.0.0.1:`port` and, `afterMicroseconds` later, resets the connection without reading:
        /// a caller who hangs up.
        static func sendAndHangUp(_ request: [UInt8], port: Int, afterMicroseconds delay: UInt32) {
            guard let fd = connectAndSend(request, port: port) else { return }
            usleep(delay)
            hangUp(fd)
        }

        /// A connection to 127.0.0.1:`port` that sent `request`; `nil` if it could not connect.
        static func connectAndSend(_ request: [UInt8], port: Int) -> Int32? {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = UInt16(port).bigEndian
            address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            guard connected == 0 else {
                close(fd)
                return nil
            }
            _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            return fd
        }

        /// Resets the connection without reading: a caller who hangs up.
        static func hangUp(_ fd: Int32) {
            var reset = linger(l_onoff: 1, l_linger: 0)
            _ = setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, socklen_t(MemoryLayout<linger>.size))
            close(fd)
        }

        /// A call whose caller hangs up while a worker is being started for it is dropped once the worker is there,
        /// never run. The worker's start is held by the plugin's constructor until the test releases it: the caller
        /// hangs up after the constructor said it started, and the release comes after the host logged the hang-up.
        @Test func aCallCancelledWhileItsWorkerStartsNeverRuns() async throws {
            let signals = try PluginFixtures.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: signals) }
            let started = signals.appendingPathComponent("started").path
            let release = signals.appendingPathComponent("release").path
            // Only workers granted the signals directory wait: the call's worker, not the one that loads the plugin.
            let plugin = PluginFixtures.cPlugin(
                name: "slowstart",
                prelude: """
                    #include <fcntl.h>
                    __attribute__((constructor)) static void hold(void) {
                        int fd = open("\(started)", O_CREAT | O_WRONLY, 0600);
                        if (fd < 0) return;
                        close(fd);
                        while (access("\(release)", F_OK) != 0) usleep(1000);
                    }
                    """,
                body: """
                    double runs = 0;
                    if (api->storage_increment(host_ctx, "runs", 4, 1, &runs) != INTEGRATION_OK) return 500;
                    char text[32];
                    int length = snprintf(text, sizeof text, "%.0f", runs);
                    return api->reply(host_ctx, text, (size_t)length, NULL, 0) == INTEGRATION_OK ? 0 : 500;
                    """)
            let host = try PluginTestHost(isolation: { isolation in
                isolation.workers = 1
                isolation.grants = [try! PluginGrant(parsing: "slowstart=read:\(signals.path),write:\(signals.path)")]
            })
            defer { Task { await host.stop() } }
            try PluginFixtures.compileC(plugin, to: host.integrations.appendingPathComponent("slowstart.so"))
            host.host.reload()
            let body = try PluginFixtures.hipchatBody(message: "/slowstart count")
            let request = Array("POST /hipchat HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: \(body.count)\r\n\r\n".utf8) + body
            let caller = try #require(Self.connectAndSend(request, port: host.host.port))
            #expect(await eventually { FileManager.default.fileExists(atPath: started) })
            Self.hangUp(caller)
            #expect(await eventually { host.log.contains("cancelled: the caller went away") })
            #expect(FileManager.default.createFile(atPath: release, contents: nil))
            let answer = try await host.hipchat("/slowstart count")
            #expect(try JSONValue(parsing: answer.body)["message"] == "1", "the abandoned call ran")
        }

        @Test func aMemoryBombIsContainedByTheWorkersLimit() async throws {
            let host = try Self.host { $0.memoryLimit = 128 << 20 }
            defer { Task { await host.stop() } }
            let before = Self.residentMemory()
            let bombed = try await host.hipchat("/misbehaving bomb")
            #expect(bombed.status == 502)
            #expect(host.log.contains("at its memory limit of 128 MiB"))
            // The host (this process) did not grow by anything like the 128 MiB the worker filled.
            #expect(Self.residentMemory() - before < 64 << 20)
            #expect(try JSONValue(parsing: try await host.hipchat("/echo alive").body)["message"] == "alive")
        }

        /// A plugin `cpu` that replies with its worker's pid: `start` first leaves a thread spinning for ever behind
        /// it, `work` first spends 50 ms of the worker's CPU.
        static let cpu = PluginFixtures.cPlugin(
            name: "cpu", prelude: """
                #include <pthread.h>
                #include <time.h>
                static void *spin(void *unused) { volatile unsigned long n = 0; for (;;) n++; return unused; }
                static double cpuSeconds(void) {
                    struct timespec t; clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t); return t.tv_sec + t.tv_nsec / 1e9;
                }
                """,
            body: """
                if (strstr(request, "\\"query\\":\\"start\\"")) { pthread_t thread; pthread_create(&thread, 0, spin, 0); }
                if (strstr(request, "\\"query\\":\\"work\\"")) { double end = cpuSeconds() + 0.05; while (cpuSeconds() < end) {} }
                char out[32]; snprintf(out, sizeof out, "pid %d", (int)getpid());
                return api->reply(host_ctx, out, strlen(out), NULL, 0) == INTEGRATION_OK ? 0 : 500;
                """)

        /// A host with the `cpu` plugin whose workers may spend 1 s of CPU each.
        static func cpuHost() throws -> PluginTestHost {
            try host(deadline: .seconds(60), plugin: ("cpu", cpu)) { $0.cpuLimit = 1 }
        }

        /// The state letter of process `pid` (`R`, `S`, `Z` for one that died and was not reaped yet), nil when gone.
        static func processState(_ pid: Int32) -> Character? {
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { return nil }
            return stat[stat.index(close, offsetBy: 2)...].first
        }

        @Test func aCallSpinningPastTheCPULimitEndsLikeACrash() async throws {
            let host = try Self.host(deadline: .seconds(60)) { $0.cpuLimit = 1 }
            defer { Task { await host.stop() } }
            let spun = try await host.hipchat("/misbehaving loop")
            #expect(spun.status == 502)
            #expect(try JSONValue(parsing: spun.body)["error"] == .string("misbehaving: plugin crashed (signal \(SIGXCPU))"))
            #expect(host.log.contains("plugin misbehaving crashed (signal \(SIGXCPU))"))
            #expect(host.log.contains("at its CPU limit"))
            #expect(try JSONValue(parsing: try await host.hipchat("/misbehaving ok").body)["message"] == "fine")
        }

        /// What the deadline cannot end: a thread left spinning after the call answered. The CPU limit ends its
        /// worker; the next call finds it dead at check-out (a crash of that plugin's, with the cause) and is
        /// answered by a fresh worker.
        @Test func aPluginSpinningAfterItAnsweredIsEndedAtItsCPULimit() async throws {
            let host = try Self.cpuHost()
            defer { Task { await host.stop() } }
            let started = try JSONValue(parsing: try await host.hipchat("/cpu start").body)["message"]?.stringValue
            let pid = try #require(started.flatMap { Int32($0.dropFirst(4)) })
            #expect(await eventually(timeout: .seconds(120)) { Self.processState(pid).map { $0 == "Z" } ?? true })
            let next = try await host.hipchat("/cpu again")
            #expect(next.status == 200)
            let fresh = try JSONValue(parsing: next.body)["message"]?.stringValue
            #expect(fresh != nil && fresh != started)
            #expect(host.log.contains("plugin cpu died while idle (signal \(SIGXCPU)) (worker \(pid)), at its CPU limit"))
            // Gone for good: reaped, not left a zombie.
            #expect(Self.processState(pid) == nil)
        }

        /// A plugin whose calls keep a worker busy never meets the limit: its worker is replaced between calls once
        /// its calls took a quarter of it. Thirty calls of 50 ms of CPU each would pass the 1 s limit on one worker.
        @Test func aBusyWorkerIsReplacedBetweenCallsBeforeItsCPULimit() async throws {
            let host = try Self.cpuHost()
            defer { Task { await host.stop() } }
            var pids: Set<String> = []
            for _ in 0..<30 {
                let answer = try await host.hipchat("/cpu work")
                #expect(answer.status == 200)
                if let pid = try JSONValue(parsing: answer.body)["message"]?.stringValue { pids.insert(pid) }
            }
            #expect(pids.count >= 2)
            #expect(host.log.contains("replaced after"))
            #expect(!host.log.contains("crashed"))
        }

        /// A plugin that pauses between its host calls longer than a handler thread waits for a frame (so its
        /// call is handed to the worker's own thread midway), and requests and stored values too large to write
        /// from a handler thread: each answers as a quick call does, with its storage and log lines.
        @Test func slowCallsAndLargeRequestsAnswerAsQuickOnesDo() async throws {
            let patient = PluginFixtures.cPlugin(
                name: "patient", prelude: "#include <stdlib.h>",
                body: """
                    if (strstr(request, "\\"query\\":\\"big\\"")) {
                        size_t n = 200000;
                        char *value = malloc(n + 2);
                        value[0] = '"'; memset(value + 1, 'a', n); value[n + 1] = '"';
                        int32_t stored = api->storage_set(host_ctx, "big", 3, value, n + 2);
                        free(value);
                        if (stored != INTEGRATION_OK) return 500;
                        struct integration_string got;
                        if (api->storage_get(host_ctx, "big", 3, &got) != INTEGRATION_OK) return 500;
                        char text[64];
                        int length = snprintf(text, sizeof text, "got=%zu", got.length);
                        return api->reply(host_ctx, text, length, NULL, 0) == INTEGRATION_OK ? 0 : 500;
                    }
                    int pause = strstr(request, "\\"query\\":\\"slow\\"") != NULL;
                    api->log(host_ctx, 2, "before", 6);
                    if (pause) usleep(30000);
                    double count = 0;
                    if (api->storage_increment(host_ctx, "n", 1, 1, &count) != INTEGRATION_OK) return 500;
                    if (pause) usleep(30000);
                    api->log(host_ctx, 2, "after", 5);
                    char text[64];
                    int length = snprintf(text, sizeof text, "n=%.0f bytes=%zu", count, request_len);
                    return api->reply(host_ctx, text, length, NULL, 0) == INTEGRATION_OK ? 0 : 500;
                    """)
            let host = try PluginTestHost(isolation: { $0.workers = 1 })
            defer { Task { await host.stop() } }
            try PluginFixtures.compileC(patient, to: host.integrations.appendingPathComponent("patient.so"))
            #expect(await eventually { (try? await host.hipchat("/patient quick").status) == 200 })
            let slow = try await host.hipchat("/patient slow")
            #expect(slow.status == 200)
            #expect(try JSONValue(parsing: slow.body)["message"]?.stringValue?.hasPrefix("n=2 ") == true)
            let quick = try await host.hipchat("/patient quick")
            #expect(try JSONValue(parsing: quick.body)["message"]?.stringValue?.hasPrefix("n=3 ") == true)
            // A 300 KiB body: the request document (body and payload) is twice that.
            let large = Array(#"{"text":""#.utf8) + [UInt8](repeating: UInt8(ascii: "a"), count: 300 << 10) + Array(#""}"#.utf8)
            let hook = try await host.request("POST", "/hooks/patient", body: large)
            #expect(hook.status == 200)
            let bytes = hook.body.split(separator: "bytes=").last.flatMap { Int($0.prefix { $0.isNumber }) } ?? 0
            #expect(bytes > 600 << 10)
            #expect(hook.body.contains("n=4 "))
            // A stored value too large to write from a handler thread: its answer goes out from the worker's thread.
            let big = try await host.hipchat("/patient big")
            #expect(try JSONValue(parsing: big.body)["message"] == "got=200002")
            let requestID = try #require(slow.requestID)
            #expect(host.log.contains("request=\(requestID) integration=patient before"))
            #expect(host.log.contains("request=\(requestID) integration=patient after"))
        }

        /// The workers run at the host's priority here: this is about atomicity, and at nice 10 on a machine saturated
        /// by other work its 10,000 calls crawled for two minutes (measured with two `yes` beside the suite), long
        /// enough to slow the tests running beside it past their own generous waits.
        @Test func storageStaysAtomicAcrossWorkers() async throws {
            let host = try PluginTestHost(
                plugins: ["counter.so": try PluginFixtures.builtPlugin("CounterPlugin")],
                isolation: { isolation in
                    isolation.workers = 2
                    isolation.niceness = 0
                })
            defer { Task { await host.stop() } }
            let calls = 10_000
            let failures = try await withThrowingTaskGroup(of: Int.self) { group in
                for lane in 0..<32 {
                    group.addTask {
                        var failed = 0
                        for _ in stride(from: lane, to: calls, by: 32) where try await host.request("GET", "/counter").status != 200 {
                            failed += 1
                        }
                        return failed
                    }
                }
                return try await group.reduce(0, +)
            }
            #expect(failures == 0)
            #expect(host.host.dependencies.storage.namespace("counter").get("count") == .number(Double(calls)))
            // Both workers took calls: two worker processes were started for this plugin.
            #expect(host.log.components(separatedBy: "plugin worker ").count >= 2)
        }

        @Test func aPluginThatCrashesWhileLoadingIsALoadErrorForItsFile() async throws {
            let host = try Self.host()
            defer { Task { await host.stop() } }
            let constructor = """
                #include <stdlib.h>
                #include "integration_abi.h"
                __attribute__((constructor)) static void boom(void) { abort(); }
                const struct integration_plugin *integration_plugin_v1(void) { return 0; }
                """
            try PluginFixtures.compileC(constructor, to: host.integrations.appendingPathComponent("boom.so"))
            let entry = PluginFixtures.cPlugin(name: "entry", prelude: "", body: "return 0;")
                .replacingOccurrences(of: "{ return &plugin; }", with: "{ volatile int *p = 0; *p = 1; return &plugin; }")
            try PluginFixtures.compileC(entry, to: host.integrations.appendingPathComponent("entry.so"))
            host.host.reload()
            #expect(await eventually { host.log.contains("boom.so") && host.log.contains("entry.so") })
            #expect(host.log.contains("failed to load plugin boom.so"))
            #expect(host.log.contains("failed to load plugin entry.so"))
            #expect(try JSONValue(parsing: try await host.hipchat("/misbehaving ok").body)["message"] == "fine")
            #expect(try JSONValue(parsing: try await host.hipchat("/echo alive").body)["message"] == "alive")
        }

        @Test func callsPastTheQueueGet503WithRetryAfter() async throws {
            // Other plugins would get four workers: `misbehaving` gets its own number, one.
            let host = try Self.host(deadline: .seconds(600)) { isolation in
                isolation.workers = 4
                isolation.workersByPlugin = ["misbehaving": 1]
                isolation.queueLimit = 1
            }
            let answers = Answers()
            // One call holds the only worker; of two more, one waits in the queue and the other is refused at once.
            let hung = Task { try await host.hipchat("/misbehaving loop") }
            #expect(await eventually { host.log.contains("running misbehaving") })
            let callers = (0..<2).map { _ in Task { answers.record(try await host.hipchat("/misbehaving ok")) } }
            #expect(await eventually { answers.count == 1 })
            #expect(answers.first?.status == 503)
            #expect(answers.first?.headers["retry-after"] == "1")
            // Stopping the host ends the held and the queued call; their clients see the connection close.
            await host.stop()
            _ = try? await hung.value
            for caller in callers { _ = try? await caller.value }
        }

        @Test func trustedModeRunsPluginsInTheHostsProcess() async throws {
            try await PluginTestHost.with(
                plugins: ["parrot.so": try PluginFixtures.builtPlugin("ParrotPlugin")], mode: .inProcess
            ) { host in
                let answer = try await host.hipchat("/parrot trusted")
                #expect(try JSONValue(parsing: answer.body)["message"] == "Example Name: trusted (parrot #1)")
                #expect(!host.log.contains("plugin worker"))
            }
        }

        /// A plugin `snoop` that tries, for the path and port its query names (`PATH PORT`), to read /etc/passwd,
        /// to create PATH, and to connect to 127.0.0.1:PORT, and replies with the three errno values (0: allowed).
        static let snoop = PluginFixtures.cPlugin(
            name: "snoop",
            prelude: """
                #include <errno.h>
                #include <fcntl.h>
                #include <stdlib.h>
                #include <arpa/inet.h>
                #include <sys/resource.h>
                #include <sys/socket.h>
                """,
            body: """
                const char *q = strstr(request, "\\"query\\":\\""); char path[200] = {0}; int port = 0;
                if (q) sscanf(q + 9, "%199s %d", path, &port);
                int fd = open("/etc/passwd", O_RDONLY); int readError = fd < 0 ? errno : 0; if (fd >= 0) close(fd);
                fd = open(path, O_WRONLY | O_CREAT, 0600); int writeError = fd < 0 ? errno : 0; if (fd >= 0) close(fd);
                int connectError = 0; int s = socket(AF_INET, SOCK_STREAM, 0);
                if (s < 0) { connectError = errno; } else {
                    struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(port) };
                    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
                    if (connect(s, (struct sockaddr *)&to, sizeof to) != 0) connectError = errno;
                    close(s);
                }
                int lowered = setpriority(PRIO_PROCESS, 0, 0) == 0;
                char out[120];
                snprintf(out, sizeof out, "read=%d write=%d connect=%d nice=%d lowered=%d", readError, writeError,
                         connectError, getpriority(PRIO_PROCESS, 0), lowered);
                return api->reply(host_ctx, out, strlen(out), NULL, 0) == INTEGRATION_OK ? 0 : 500;
                """)

        @Test func theSandboxRefusesFilesAndNetworkUntilGranted() async throws {
            let listener = try LoopbackListener()
            defer { listener.close() }
            let scratch = try PluginFixtures.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: scratch) }
            let target = scratch.appendingPathComponent("x").path
            let query = "/snoop \(target) \(listener.port)"

            let confined = try PluginTestHost()
            try PluginFixtures.compileC(Self.snoop, to: confined.integrations.appendingPathComponent("snoop.so"))
            confined.host.reload()
            let refused = try JSONValue(parsing: try await confined.hipchat(query).body)["message"]?.stringValue
            // Below request handling, for good (the confinement test checks the policy; this, the worker).
            let nice = SandboxPolicy.pluginWorkerNiceness
            #expect(refused == "read=\(EACCES) write=\(EACCES) connect=\(EACCES) nice=\(nice) lowered=0")
            #expect(!FileManager.default.fileExists(atPath: target))
            #expect(confined.log.contains("plugin workers are confined: no_new_privs"))
            await confined.stop()

            let granted = try PluginTestHost(isolation: { isolation in
                isolation.grants = [
                    try! PluginGrant(parsing: "snoop=network,read:/etc/passwd"),
                    try! PluginGrant(parsing: "snoop=write:\(scratch.path)"),
                ]
            })
            try PluginFixtures.compileC(Self.snoop, to: granted.integrations.appendingPathComponent("snoop.so"))
            granted.host.reload()
            let allowed = try JSONValue(parsing: try await granted.hipchat(query).body)["message"]?.stringValue
            #expect(allowed == "read=0 write=0 connect=0 nice=\(nice) lowered=0")
            #expect(FileManager.default.fileExists(atPath: target))
            await granted.stop()
        }

        /// This process's resident memory in bytes (VmRSS).
        static func residentMemory() -> Int {
            let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
            let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
            return (Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0) * 1024
        }
    }
}

/// The responses of calls that have returned, in order.
final class Answers: Sendable {
    private let responses = Mutex<[PluginTestHost.Response]>([])

    func record(_ response: PluginTestHost.Response) { responses.withLock { $0.append(response) } }
    var count: Int { responses.withLock { $0.count } }
    var first: PluginTestHost.Response? { responses.withLock { $0.first } }
}

/// A TCP listener on 127.0.0.1 and a free port that accepts nothing: enough for a connect to succeed.
final class LoopbackListener {
    let fd: Int32
    let port: Int

    init() throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, length) }
        }
        guard bound == 0, listen(listener, 16) == 0 else { throw FixtureError("cannot listen on loopback") }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        fd = listener
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    func close() { _ = Glibc.close(fd) }
}
