import Foundation
import HostApp
import HostCore
import IntegrationContract
import JSON
import Testing
import TestSupport

/// Seeing what is loaded (issue 16, item 1): `integration-host list`, `GET /integrations` with its counters, and
/// conflicts between integrations; and the small traps of item 6.
@Suite struct IntegrationListingTests {
    static let adminToken = "listing-admin-token-0123456789"

    /// Two manifests answering `/w` and the route `POST /w`, and one whose rules ask for credentials.
    static let conflictingManifests = [
        "weather.json": #"{"commands": ["w", "weather"], "routes": ["/w"], "actions": [{"reply": "sunny"}]}"#,
        "weather2.json": #"{"commands": ["w"], "routes": [{"path": "/w", "methods": ["POST", "GET"]}], "actions": [{"reply": "rainy"}]}"#,
        "guarded.json": #"""
            {"rules": [{"ip": ["10.0.0.0/8"]}, {"any": [{"token": {"header": "X-T", "secret": "abc"}}, {"verified": true}]}],
             "actions": [{"reply": "in"}]}
            """#,
    ]

    static func directory(_ files: [String: String]) throws -> URL {
        let root = try CommandLineTests.freshDirectory("ih-list")
        for (name, contents) in files {
            try contents.write(to: root.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        return root
    }

    static func runBinary(_ arguments: [String]) throws -> (status: Int32, stdout: String) {
        let result = try Subprocess.run(CommandLineTests.binary.path, arguments)
        return (result.status, result.stdoutText)
    }

    @Test func listPrintsEachIntegrationWithItsConflictsAuthAndMistypedTokens() throws {
        let root = try Self.directory(Self.conflictingManifests)
        defer { try? FileManager.default.removeItem(at: root) }
        let (status, output) = try Self.runBinary([
            "list", root.path, "9999:nonexistent:ROOMSECRET", "abc:weather:GLOBALSECRET", "guarded.github_secret:HUBSECRET",
        ])
        #expect(status == 1, "conflicts are problems, as in check")
        let lines = output.split(separator: "\n").map(String.init)
        #expect(lines.contains("weather (manifest, weather.json)"))
        #expect(lines.contains("  commands: /w, /weather"))
        #expect(lines.contains("  routes:   GET|POST /hooks/weather2, GET|POST /w"))
        #expect(lines.contains("  auth:     ip allow list and (token X-T | verified sender); hook: signature X-Hub-Signature-256"))
        #expect(lines.contains("  auth:     none"))
        let conflict = "command /w is claimed by weather (weather.json) and weather2 (weather2.json): weather answers it"
        #expect(lines.filter { $0 == "  conflict: \(conflict)" }.count == 2, "shown under both integrations")
        #expect(lines.contains(
            "error: weather2.json: command /w of weather2 is already claimed by weather (weather.json): weather answers it"))
        #expect(lines.contains(
            "error: weather2.json: route POST /w of weather2 is already claimed by weather (weather.json): weather answers it"))
        #expect(lines.contains("warning: room token 9999:nonexistent names no loaded integration: it is never used"))
        #expect(lines.contains { $0.hasPrefix("warning: token abc looks like ROOM:INTEGRATION:VALUE") })
        #expect(lines.last == "3 integrations, 2 conflicts, 2 problems, 2 warnings")
        for secret in ["ROOMSECRET", "GLOBALSECRET", "HUBSECRET"] { #expect(!output.contains(secret)) }
    }

    @Test func listAsJSONAndACleanDirectoryExitZero() throws {
        let root = try Self.directory(["weather.json": Self.conflictingManifests["weather.json"]!])
        defer { try? FileManager.default.removeItem(at: root) }
        let (status, output) = try Self.runBinary(["list", root.path, "--json"])
        #expect(status == 0)
        let json = try JSONValue(parsing: Array(output.utf8))
        let weather = try #require(json["integrations"]?.arrayValue?.first)
        #expect(weather["name"] == "weather")
        #expect(weather["kind"] == "manifest")
        #expect(weather["commands"] == ["w", "weather"])
        #expect(weather["auth"]?["required"] == false)
        #expect(weather["runs"] == nil, "no counters without a running host")
        #expect(json["conflicts"] == [])
    }

    @Test func checkFailsOnAConflict() async throws {
        let root = try Self.directory(Self.conflictingManifests)
        defer { try? FileManager.default.removeItem(at: root) }
        #expect(await HostCommand.main(["integration-host", "check", root.path]) == 1)
        try FileManager.default.removeItem(at: root.appendingPathComponent("weather2.json"))
        #expect(await HostCommand.main(["integration-host", "check", root.path]) == 0)
    }

    @Test func listRefusesAnUnknownOptionAndAMissingDirectory() throws {
        #expect(throws: CommandLineOptions.UsageError("unknown option --pretty for list")) {
            try CommandLineOptions.parse(["list", ".", "--pretty"], environment: [:])
        }
        #expect(throws: CommandLineOptions.UsageError("list needs a DIR")) {
            try CommandLineOptions.parse(["list"], environment: [:])
        }
    }

    @Test func integrationsNeedsTheAdminToken() async throws {
        let host = try TestHost(files: ["echo.scripted": #"{"reply": "ok"}"#], adminToken: Self.adminToken)
        defer { Task { await host.stop() } }
        for headers in [[:], ["Authorization": "Bearer wrong"], ["Authorization": Self.adminToken]] {
            let refused = try await host.request("GET", "/integrations", headers: headers)
            #expect(refused.status == 401)
            #expect(refused.headers["www-authenticate"] == "Bearer")
            #expect(try JSONValue(parsing: refused.body)["integrations"] == nil)
        }
        let allowed = try await host.request("GET", "/integrations", headers: ["Authorization": "Bearer \(Self.adminToken)"])
        #expect(allowed.status == 200)
        #expect(try JSONValue(parsing: allowed.body)["integrations"]?.arrayValue?.count == 1)
        #expect(try await host.request("POST", "/integrations").status == 405)
    }

    @Test func withoutAnAdminTokenOnlyADirectLoopbackCallerSeesIt() async throws {
        let host = try TestHost(files: ["echo.scripted": #"{"reply": "ok"}"#])
        defer { Task { await host.stop() } }
        #expect(try await host.request("GET", "/integrations").status == 200)
        #expect(try await host.request("GET", "/integrations", headers: ["X-Forwarded-For": "203.0.113.9"]).status == 401)
    }

    @Test func integrationsShowsConflictsAndTheWinnerAnswers() async throws {
        let host = try TestHost(files: Self.conflictingManifests, adminToken: Self.adminToken)
        defer { Task { await host.stop() } }
        #expect(host.log.contains("command /w is claimed by weather (weather.json) and weather2 (weather2.json): weather answers it"))
        let json = try await listing(host)
        let conflicts = try #require(json["conflicts"]?.arrayValue)
        #expect(conflicts.map { $0["claim"] } == ["command /w", "route POST /w"])
        #expect(conflicts.first?["winner"] == ["name": "weather", "file": "weather.json"])
        #expect(conflicts.first?["others"] == [["name": "weather2", "file": "weather2.json"]])
        let weather2 = try #require(json["integrations"]?.arrayValue?.first { $0["name"] == "weather2" })
        #expect(weather2["conflicts"]?.arrayValue?.count == 2)
        let guarded = try #require(json["integrations"]?.arrayValue?.first { $0["name"] == "guarded" })
        #expect(guarded["auth"]?["rules"] == "ip allow list and (token X-T | verified sender)")
        #expect(guarded["auth"]?["required"] == true)
        // The winner answers the contested route; the loser's GET, which nobody else claims, still reaches it.
        #expect(try await host.request("POST", "/w").body == Array("sunny".utf8))
        #expect(try await host.request("GET", "/w").body == Array("rainy".utf8))
    }

    /// 200 runs at once of one integration that replies and 60 of one that fails: every run counted exactly.
    @Test func countersAreExactUnderConcurrentRuns() async throws {
        let host = try TestHost(
            files: ["fine.scripted": #"{"reply": "ok"}"#, "broken.scripted": #"{"throw": "the disk is on fire"}"#],
            adminToken: Self.adminToken)
        defer { Task { await host.stop() } }
        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            for index in 0..<260 {
                group.addTask { try await host.request("POST", index < 200 ? "/hooks/fine" : "/hooks/broken").status }
            }
            return try await group.reduce(into: [Int: Int]()) { $0[$1, default: 0] += 1 }
        }
        #expect(statuses == [200: 200, 500: 60])
        let json = try await listing(host)
        let fine = try #require(json["integrations"]?.arrayValue?.first { $0["name"] == "fine" })
        #expect(fine["runs"]?["count"] == 200)
        #expect(fine["runs"]?["failures"] == 0)
        #expect(fine["runs"]?["p50_ms"]?.doubleValue != nil)
        #expect(fine["runs"]?["p99_ms"]?.doubleValue != nil)
        #expect(fine["runs"]?["last_error"] == .null)
        #expect(fine["state"] == "ok")
        let broken = try #require(json["integrations"]?.arrayValue?.first { $0["name"] == "broken" })
        #expect(broken["runs"]?["count"] == 60)
        #expect(broken["runs"]?["failures"] == 60)
        #expect(broken["runs"]?["last_error"]?["message"] == "the disk is on fire")
        #expect(broken["runs"]?["last_error"]?["at"]?.stringValue?.hasSuffix("Z") == true)
        #expect(broken["state"] == "failing")
    }

    @Test func statisticsCountConcurrentRecordsExactlyAndTakeNearestRankPercentiles() async {
        let statistics = RunStatistics()
        await withTaskGroup(of: Void.self) { group in
            for index in 1...200 {
                group.addTask {
                    let result: RunStatistics.Result =
                        switch index % 10 {
                        case 0: .failed(.internalError("boom \(index)"))
                        case 1: .failed(.unauthorized("no token"))
                        case 2: .timedOut
                        default: .replied
                        }
                    statistics.record("x", duration: .milliseconds(index % 100 == 0 ? 100 : index % 100), result: result)
                }
            }
        }
        let snapshot = statistics.snapshot(of: "x")
        #expect(snapshot.runs == 200)
        #expect(snapshot.failures == 20)
        #expect(snapshot.rejections == 20)
        #expect(snapshot.timeouts == 20)
        #expect(snapshot.recentRuns == RunStatistics.recentWindow)
        #expect(!snapshot.isFailing)
        #expect(statistics.snapshot(of: "never ran").runs == 0)
        #expect(statistics.snapshot(of: "never ran").p50 == nil)

        let ordered = RunStatistics()
        for milliseconds in 1...100 { ordered.record("y", duration: .milliseconds(milliseconds), result: .replied) }
        #expect(ordered.snapshot(of: "y").p50 == .milliseconds(50))
        #expect(ordered.snapshot(of: "y").p99 == .milliseconds(99))
    }

    @Test func refusalsDoNotMakeAnIntegrationFailing() {
        let statistics = RunStatistics()
        for _ in 0..<10 { statistics.record("z", duration: .milliseconds(1), result: .failed(.unauthorized("forged"))) }
        #expect(!statistics.snapshot(of: "z").isFailing)
        for _ in 0..<11 { statistics.record("z", duration: .milliseconds(1), result: .failed(.badGateway("down"))) }
        #expect(statistics.snapshot(of: "z").isFailing)
        for _ in 0..<32 { statistics.record("z", duration: .milliseconds(1), result: .replied) }
        #expect(!statistics.snapshot(of: "z").isFailing, "the window moved on")
    }

    @Test func mistypedAdminCommandsNameTheCommands() async throws {
        let api = RecordingServer()
        let apiURL = try api.start()
        let host = try TestHost(
            files: ["echo.scripted": #"{"reply": "{query}"}"#], tokens: ["1234:echo:ROOMTOKEN-123456"], hipchatAPI: apiURL)
        defer { Task { await host.stop(); await api.stop() } }
        for typo in ["sav storage.json", "SAVE storage.json", "lod x.json", "erase now", "  Eraes\n", "save a b", "rplay 1f3a", "replya 1f3a"] {
            let answer = try await host.request("POST", "/", body: Array(typo.utf8))
            #expect(answer.status == 400, "\(typo)")
            #expect(try JSONValue(parsing: answer.body)["error"] == "not an admin command: expected save FILE | load FILE | erase | replay REQUEST_ID")
        }
        let prose = try await host.request("POST", "/", body: Array("hello there".utf8))
        #expect(try JSONValue(parsing: prose.body)["error"]?.stringValue?.contains("not an admin command") == false)
        // A real HipChat notification on POST / is still one.
        #expect(try await host.request("POST", "/", body: try Fixtures.hipchat(message: "/echo save")).status == 204)
        let delivered = await api.waitFor(1)
        #expect(try delivered.first.map { try JSONValue(parsing: $0.body)["message"] } == "save")
    }

    @Test func aRoomTokenNamingNoIntegrationIsWarnedAboutAtStart() async throws {
        let host = try TestHost(
            files: ["echo.scripted": #"{"reply": "ok"}"#], tokens: ["9999:nonexistent:ROOMSECRET-123456", "abc:echo:X-123456789"])
        defer { Task { await host.stop() } }
        #expect(host.log.contains("room token 9999:nonexistent names no loaded integration: it is never used"))
        #expect(host.log.contains("token abc looks like ROOM:INTEGRATION:VALUE"))
        #expect(!host.log.contains("ROOMSECRET") && !host.log.contains("X-123456789"))
    }

    /// Already so before issue 16: a host without `--state` says at shutdown that its storage is not saved.
    @Test func shutdownWithoutAStateFileSaysStorageIsDiscarded() async throws {
        let host = try TestHost(files: ["count.scripted": #"{"increment": "n", "reply": "{count}"}"#])
        #expect(try await host.request("POST", "/hooks/count").status == 200)
        await host.host.shutdown(gracePeriod: .seconds(1))
        #expect(host.log.contains("storage of 1 integrations is not saved: no --state file is configured"))
        await host.stop()
    }

    private func listing(_ host: TestHost) async throws -> JSONValue {
        let answer = try await host.request("GET", "/integrations", headers: ["Authorization": "Bearer \(Self.adminToken)"])
        #expect(answer.status == 200)
        return try JSONValue(parsing: answer.body)
    }
}
