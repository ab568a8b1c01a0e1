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

extension PluginTests {
    /// The built plugins inside the real host, over loopback HTTP through the HipChat route.
    @Suite struct PluginHTTPTests {
        @Test func swiftAndCPluginsAnswerOverHipChat() async throws {
            try await PluginTestHost.with(plugins: [
                "parrot.so": try PluginFixtures.builtPlugin("ParrotPlugin"),
                "counter.so": try PluginFixtures.builtPlugin("CounterPlugin"),
            ]) { host in
                let first = try await host.hipchat("/echo testing me")
                #expect(first.status == 200)
                #expect(
                    try JSONValue(parsing: first.json)
                        == [
                            "message": "Example Name: testing me (parrot #1)", "message_format": "text",
                            "color": "green",
                            "notify": false,
                        ])
                // Storage round trip: the second run reads what the first stored.
                let second = try await host.hipchat("/parrot once more")
                #expect(
                    try JSONValue(parsing: second.json)["message"]
                        == "Example Name: once more (parrot #2), previously Example Name: testing me")
                #expect(
                    host.host.dependencies.storage.namespace("parrot").get("last") == [
                        "query": "once more", "sender": "Example Name",
                    ])

                let counted = try await host.hipchat("/count")
                #expect(counted.status == 200)
                #expect(try JSONValue(parsing: counted.json)["message"] == "count is 1")
                #expect(try JSONValue(parsing: counted.json)["color"] == "purple")

                // The plugin's log lines carry the request id the response names.
                let requestID = try #require(first.requestID)
                #expect(
                    host.log.contains("request=\(requestID) integration=parrot Example Name said: /echo testing me\n"))
                let countID = try #require(counted.requestID)
                #expect(host.log.contains("request=\(countID) integration=counter count is 1\n"))
            }
        }

        @Test func cPluginRouteAnswers() async throws {
            try await PluginTestHost.with(plugins: ["counter.so": try PluginFixtures.builtPlugin("CounterPlugin")]) {
                host in
                let viaRoute = try await host.request("GET", "/counter")
                #expect(viaRoute.status == 200)
                #expect(viaRoute.json.contains("count is 1"))
                let viaHook = try await host.request("POST", "/hooks/counter", body: Array(#"{"a":1}"#.utf8))
                #expect(viaHook.status == 200)
                #expect(viaHook.json.contains("count is 2"))
            }
        }

        @Test func throwingPluginGives500AndTheHostKeepsServing() async throws {
            try await PluginTestHost.with(plugins: ["parrot.so": try PluginFixtures.builtPlugin("ParrotPlugin")]) {
                host in
                let failed = try await host.hipchat("/parrot")
                #expect(failed.status == 500)
                #expect(
                    try JSONValue(parsing: failed.json) == ["error": "parrot: nothing to repeat: try /parrot hello"])
                let ok = try await host.hipchat("/parrot still here")
                #expect(ok.status == 200)
                #expect(try JSONValue(parsing: ok.json)["message"] == "Example Name: still here (parrot #1)")
            }
        }

        @Test func badFilesAreRefusedWithALogLineAndTheRestServes() async throws {
            let scratch = try PluginFixtures.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: scratch) }
            let garbage = scratch.appendingPathComponent("garbage.so")
            try Data(repeating: 0x42, count: 2048).write(to: garbage)
            let future = scratch.appendingPathComponent("future.so")
            try PluginFixtures.compileC(
                PluginFixtures.cPlugin(name: "future", abiVersion: "2", body: "return 0;"), to: future)
            let parrot = try PluginFixtures.builtPlugin("ParrotPlugin")
            try await PluginTestHost.with(plugins: [
                "parrot.so": parrot, "parrot2.so": parrot, "garbage.so": garbage, "future.so": future,
            ]) { host in

                let ok = try await host.hipchat("/parrot fine")
                #expect(ok.status == 200)
                let log = host.log
                let directory = host.integrations.path
                #expect(
                    log.contains(
                        "failed to load plugin garbage.so: plugin \(directory)/garbage.so: not a loadable shared library "
                            + "(dlopen: invalid ELF header)"))
                #expect(
                    log.contains(
                        "failed to load plugin future.so: plugin \(directory)/future.so: it was built for plugin ABI version 2; "
                            + "this host supports version 1"))
                #expect(log.contains("parrot2.so: duplicate integration name 'parrot' (already loaded from parrot.so)"))
                let missing = try await host.hipchat("/future")
                #expect(missing.status == 404)
            }
        }

        @Test func concurrentRequestsLoseNoIncrement() async throws {
            try await PluginTestHost.with(plugins: ["parrot.so": try PluginFixtures.builtPlugin("ParrotPlugin")]) {
                host in
                let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                    for index in 0..<200 { group.addTask { try await host.hipchat("/parrot n\(index)").status } }
                    return try await group.reduce(into: [Int]()) { $0.append($1) }
                }
                #expect(statuses.count == 200)
                #expect(statuses.allSatisfy { $0 == 200 })
                #expect(host.host.dependencies.storage.namespace("parrot").get("count") == 200)
            }
        }

        @Test func pluginRebuiltWhileTheHostRunsAnswersWithItsNewBehaviour() async throws {
            try await PluginTestHost.with { host in
                let file = host.integrations.appendingPathComponent("greeter.so")
                try PluginFixtures.compileC(
                    PluginFixtures.cPlugin(name: "greeter", body: PluginFixtures.replying("hello v1")), to: file)
                let first = try await host.hipchat("/greeter")
                #expect(try JSONValue(parsing: first.json)["message"] == "hello v1")

                try PluginFixtures.compileC(
                    PluginFixtures.cPlugin(name: "greeter", body: PluginFixtures.replying("hello v2")), to: file)
                #expect(try await eventually {
                    try JSONValue(parsing: try await host.hipchat("/greeter").json)["message"] == "hello v2"
                })
                #expect(host.log.contains("reloaded plugin greeter.so: greeter"))
            }
        }
    }
}
