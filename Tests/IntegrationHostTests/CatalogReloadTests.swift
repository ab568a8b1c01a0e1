import Foundation
import HostApp
import HostCore
import IntegrationContract
import Logging
import Manifests
import Platforms
import Plugins
import JSON
import Testing
import TestSupport

/// Files added, changed, broken and removed while the host runs take effect without a restart.
@Suite struct CatalogReloadTests {
    func say(_ host: TestHost, _ message: String) async throws -> (Int, JSONValue) {
        let response = try await host.request("POST", "/hipchat", body: try Fixtures.hipchat(message: message))
        return (response.status, try JSONValue(parsing: response.body))
    }

    @Test func addChangeBreakRemove() async throws {
        let host = try TestHost()
        defer { Task { await host.stop() } }
        #expect(try await say(host, "/late hi").0 == 404)
        // Misses rescan at most once per interval: let the interval of that one pass (a sleep is never shorter than
        // asked, so this cannot race).
        try await Task.sleep(for: Catalog.missRescanInterval)

        try host.write("late.scripted", #"{"reply": "v1 {query}"}"#)
        // Answered at once: a miss rescans the directory.
        let added = try await say(host, "/late hi")
        #expect(added.0 == 200)
        #expect(added.1["message"] == "v1 hi")

        // The poller picks up a changed file within about a second.
        try host.write("late.scripted", #"{"reply": "v2 {query}"}"#)
        #expect(try await eventually { try await say(host, "/late hi").1["message"] == "v2 hi" })

        try host.write("late.scripted", "{broken")
        #expect(await eventually { host.log.contains("failed to load scripted late.scripted (keeping its last good version)") })
        #expect(try await say(host, "/late hi").1["message"] == "v2 hi")

        try FileManager.default.removeItem(at: host.integrations.appendingPathComponent("late.scripted"))
        #expect(try await eventually { try await say(host, "/late hi").0 == 404 })
    }

    @Test func duplicateNamesKeepTheFirstAndLogTheSecond() async throws {
        let host = try TestHost(files: [
            "a.scripted": #"{"name": "same", "reply": "from a"}"#,
            "b.scripted": #"{"name": "same", "reply": "from b"}"#,
        ])
        defer { Task { await host.stop() } }
        #expect(try await say(host, "/same").1["message"] == "from a")
        let duplicate = "b.scripted: duplicate integration name 'same' (already loaded from a.scripted)"
        #expect(host.log.contains(duplicate))
        // The poller rescans every second; the conflict is logged once, not on every scan.
        host.host.reload()
        host.host.reload()
        #expect(host.log.components(separatedBy: duplicate).count - 1 == 1)
    }

    @Test func routesAndGenericHooks() async throws {
        let host = try TestHost(files: ["dep.scripted": #"{"reply": "deploy {param} {query}", "routes": ["/deploy/<env>"]}"#])
        defer { Task { await host.stop() } }
        let routed = try await host.request("POST", "/deploy/prod", body: Array(#"{"text": "now"}"#.utf8),
            headers: ["Content-Type": "application/json"])
        #expect(routed.status == 200)
        #expect(String(decoding: routed.body, as: UTF8.self) == "deploy env=prod now")
        let hook = try await host.request("POST", "/hooks/dep", body: Array("text=x+y".utf8),
            headers: ["Content-Type": "application/x-www-form-urlencoded"])
        #expect(String(decoding: hook.body, as: UTF8.self) == "deploy  x y")
        #expect(try await host.request("POST", "/hooks/missing").status == 404)
        #expect(try await host.request("DELETE", "/deploy/prod").status == 405)
    }

    /// A manifest with several problems is logged as one line per problem, `file: key.path: reason`, never as one
    /// line with escaped newlines.
    @Test func manifestProblemsAreLoggedOneALine() async throws {
        let host = try TestHost(files: [
            "broken.json": #"{"description": 5, "actions": [{"reply": 1}, {"nonsense": true}]}"#
        ])
        defer { Task { await host.stop() } }
        let lines = host.log.split(separator: "\n").filter { $0.contains("failed to load manifest broken.json") }
        #expect(lines.count >= 2, "\(lines)")
        #expect(lines.allSatisfy { !$0.contains(#"\n"#) })
        #expect(lines.contains { $0.hasSuffix("failed to load manifest broken.json: description: must be a string") })
        #expect(lines.contains { $0.contains("failed to load manifest broken.json: actions[0]") })
    }
}
