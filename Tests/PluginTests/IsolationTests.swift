import Foundation
import Glibc
import JSON
import Testing

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

        static func host(
            deadline: Duration = .seconds(10), isolation: (inout PluginIsolation) -> Void = { _ in }
        ) throws -> PluginTestHost {
            let host = try PluginTestHost(files: ["echo.json": echo], deadline: deadline, isolation: isolation)
            try PluginFixtures.compileC(misbehaving, to: host.integrations.appendingPathComponent("misbehaving.so"))
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
            // Killed and reaped: the pid is gone, so its CPU is free again.
            #expect(await eventually { kill(pid, 0) != 0 && errno == ESRCH })
            #expect(try JSONValue(parsing: try await host.hipchat("/misbehaving ok").body)["message"] == "fine")
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

        @Test func storageStaysAtomicAcrossWorkers() async throws {
            let host = try PluginTestHost(
                plugins: ["counter.so": try PluginFixtures.builtPlugin("CounterPlugin")],
                isolation: { $0.workers = 2 })
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
            let host = try Self.host(deadline: .seconds(2)) { isolation in
                isolation.workers = 1
                isolation.queueLimit = 1
            }
            defer { Task { await host.stop() } }
            let hung = Task { try await host.hipchat("/misbehaving loop") }
            #expect(await eventually { host.log.contains("running misbehaving") })
            let queued = Task { try await host.hipchat("/misbehaving ok") }
            #expect(await eventually {
                let refused = try? await host.hipchat("/misbehaving ok")
                return refused?.status == 503 && refused?.headers["retry-after"] == "1"
            })
            #expect(try await hung.value.status == 504)
            _ = try await queued.value
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

        /// This process's resident memory in bytes (VmRSS).
        static func residentMemory() -> Int {
            let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
            let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
            return (Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0) * 1024
        }
    }
}
