import Crypto
import Foundation
import HostApp
import HostCore
import JSON
import Logging
import Testing
import TestSupport

/// The delivery log through the real host over HTTP: bounded per integration, listed newest first and redacted for
/// admins only, replayable with `replay REQUEST_ID`, saved and loaded beside the state file.
@Suite struct DeliveryLogTests {
    static let admin = "admin-token-0123456789"
    static let files = [
        "echo.json": #"{"description": "echo", "actions": [{"reply": "said {{query}}"}]}"#,
        "count.json": #"{"description": "count", "actions": [{"store": {"op": "increment", "key": "n"}, "into": "n"}, {"reply": "n={{n}}"}]}"#,
    ]
    static let bearer = ["Authorization": "Bearer \(admin)"]

    func deliveries(_ host: TestHost, _ name: String) async throws -> [JSONValue] {
        let answer = try await host.request("GET", "/integrations/\(name)/deliveries", headers: Self.bearer)
        #expect(answer.status == 200)
        return try JSONValue(parsing: answer.body)["deliveries"]?.arrayValue ?? []
    }

    @Test func listsNewestFirstRedactedAndForAdminsOnly() async throws {
        let host = try TestHost(files: Self.files, adminToken: Self.admin)
        defer { Task { await host.stop() } }
        for index in 1...3 {
            let answer = try await host.request(
                "POST", "/hooks/echo?token=querysecret-123&n=\(index)", body: Array("hello \(index) \(Self.admin)".utf8),
                headers: [
                    "X-Request-Id": "echo-\(index)", "Authorization": "Bearer sender-credential-1",
                    "X-Hub-Signature-256": "sha256=abc", "Cookie": "session=s3cr3t", "X-Plain": "visible",
                ])
            #expect(answer.status == 200)
        }
        let listed = try await deliveries(host, "echo")
        #expect(listed.map { $0["id"] } == ["echo-3", "echo-2", "echo-1"])
        let newest = try #require(listed.first)
        #expect(newest["integration"] == "echo")
        #expect(newest["platform"] == "hooks")
        #expect(newest["status"] == 200)
        #expect(newest["request"]?["method"] == "POST")
        #expect(newest["request"]?["path"] == "/hooks/echo")
        #expect(newest["request"]?["query"] == "token=[redacted]&n=3")
        #expect(newest["request"]?["body"] == "hello 3 [redacted]")
        #expect(newest["request"]?["peer"] == "127.0.0.1")
        #expect(newest["reply"]?["body"]?.stringValue?.contains("said") == true)
        let headers = newest["request"]?["headers"]?.arrayValue?.compactMap { pair -> (String, String)? in
            guard let parts = pair.arrayValue, let name = parts.first?.stringValue, let value = parts.last?.stringValue
            else { return nil }
            return (name.lowercased(), value)
        } ?? []
        let byName = Dictionary(headers, uniquingKeysWith: { first, _ in first })
        #expect(byName["authorization"] == "[redacted]")
        #expect(byName["x-hub-signature-256"] == "[redacted]")
        #expect(byName["cookie"] == "[redacted]")
        #expect(byName["x-plain"] == "visible")
        let text = String(decoding: try await host.request("GET", "/integrations/echo/deliveries", headers: Self.bearer).body, as: UTF8.self)
        for secret in ["querysecret-123", "sender-credential-1", "s3cr3t", Self.admin] { #expect(!text.contains(secret)) }

        let anonymous = try await host.request("GET", "/integrations/echo/deliveries")
        #expect(anonymous.status == 401)
        #expect(anonymous.headers["www-authenticate"] == "Bearer")
        #expect(try JSONValue(parsing: anonymous.body)["error"]?.stringValue != nil)
        #expect(try await host.request("POST", "/integrations/echo/deliveries", headers: Self.bearer).status == 405)
        #expect(try await deliveries(host, "count").isEmpty)
    }

    @Test func memoryStaysBoundedPerIntegration() async throws {
        let host = try TestHost(files: Self.files, adminToken: Self.admin) { $0.deliveryLogSize = 5 }
        defer { Task { await host.stop() } }
        for index in 1...40 {
            #expect(try await host.request("POST", "/hooks/echo", headers: ["X-Request-Id": "bulk-\(index)"]).status == 200)
        }
        #expect(try await host.request("POST", "/hooks/count", headers: ["X-Request-Id": "other"]).status == 200)
        let listed = try await deliveries(host, "echo")
        #expect(listed.map { $0["id"] } == (36...40).reversed().map { JSONValue.string("bulk-\($0)") })
        #expect(try await deliveries(host, "count").map { $0["id"] } == ["other"])
        #expect(host.host.dependencies.deliveries.counts().map(\.count) == [1, 5])
    }

    @Test func replayRunsTheRequestAgainAndRecordsIt() async throws {
        let host = try TestHost(files: Self.files, adminToken: Self.admin)
        defer { Task { await host.stop() } }
        let first = try await host.request("POST", "/hooks/count", body: Array("x".utf8), headers: ["X-Request-Id": "count-1"])
        #expect(String(decoding: first.body, as: UTF8.self) == "n=1")

        let replay = try await host.request("POST", "/", body: Array("replay count-1".utf8), headers: Self.bearer)
        #expect(replay.status == 200)
        let answer = try JSONValue(parsing: replay.body)
        #expect(answer["replayed"] == "count-1")
        let newID = try #require(answer["request_id"]?.stringValue)
        #expect(answer["delivery"]?["replay_of"] == "count-1")
        #expect(answer["delivery"]?["reply"]?["body"] == "n=2")
        #expect(answer["delivery"]?["request"]?["body"] == "x")

        let listed = try await deliveries(host, "count")
        #expect(listed.map { $0["id"] } == [.string(newID), "count-1"])
        #expect(listed.first?["replay_of"] == "count-1")
        #expect(host.log.contains("replayed delivery count-1 of count as \(newID): 200"))

        let unknown = try await host.request("POST", "/", body: Array("replay nosuchid".utf8), headers: Self.bearer)
        #expect(unknown.status == 404)
        #expect(try JSONValue(parsing: unknown.body)["error"] == "no delivery nosuchid in the delivery log")
        let malformed = try await host.request("POST", "/", body: Array("replay".utf8), headers: Self.bearer)
        #expect(malformed.status == 400)
        let stranger = try await host.request("POST", "/", body: Array("replay count-1".utf8))
        #expect(stranger.status == 403)
        #expect(try await deliveries(host, "count").count == 2)
    }

    @Test func savedBesideTheStateFileRedactedAndLoadedBack() async throws {
        let host = try TestHost(files: Self.files, adminToken: Self.admin, stateFile: "state.json")
        let answer = try await host.request(
            "POST", "/hooks/echo", body: Array("keep me".utf8),
            headers: ["X-Request-Id": "saved-1", "Authorization": "Bearer sender-credential-2"])
        #expect(answer.status == 200)
        let saved = try await host.request("POST", "/", body: Array("save".utf8), headers: Self.bearer)
        #expect(saved.status == 200)
        let file = host.stateDirectory.appendingPathComponent("state.json.deliveries.json")
        let text = try String(contentsOf: file, encoding: .utf8)
        #expect(text.contains("saved-1"))
        #expect(!text.contains("sender-credential-2"))
        // The storage file keeps hipchat-integration's format: integration name to its keys, nothing else.
        let storage = try JSONValue(parsing: Array(try Data(contentsOf: host.stateDirectory.appendingPathComponent("state.json"))))
        #expect(storage == .object([:]))
        let stateDirectory = host.stateDirectory
        await host.host.shutdown(gracePeriod: .seconds(1))

        let restarted = try TestHost(files: Self.files, adminToken: Self.admin, stateFile: "state.json") { configuration in
            configuration.stateDirectory = stateDirectory
        }
        defer {
            Task {
                await restarted.stop()
                try? FileManager.default.removeItem(at: host.root)
            }
        }
        let listed = try await deliveries(restarted, "echo")
        #expect(listed.map { $0["id"] } == ["saved-1"])
        #expect(listed.first?["request"]?["body"] == "keep me")
        // A record read back from the file replays as it was saved: here an unsigned hook, so it runs.
        let replay = try await restarted.request("POST", "/", body: Array("replay saved-1".utf8), headers: Self.bearer)
        #expect(replay.status == 200)
        #expect(try JSONValue(parsing: replay.body)["delivery"]?["status"] == 200)
    }

    /// A signed GitHub delivery replays with its original signature, and runs although its delivery id was seen
    /// (a platform's retry of it is still answered without running).
    @Test func aSignedDeliveryReplaysWithItsSignatureAndPastTheDuplicateCheck() async throws {
        let secret = "ghsecret-0123456789"
        let host = try TestHost(files: Self.files, tokens: ["count.github_secret:\(secret)"], adminToken: Self.admin)
        defer { Task { await host.stop() } }
        let body = Array(#"{"zen": "keep it logically awesome"}"#.utf8)
        let signature = "sha256=" + Encoding.hex(HMACSHA256.authenticationCode(for: body, key: Array(secret.utf8)))
        let headers = [
            "Content-Type": "application/json", "X-GitHub-Event": "push", "X-GitHub-Delivery": "gh-delivery-1",
            "X-Hub-Signature-256": signature, "X-Request-Id": "signed-1",
        ]
        let first = try await host.request("POST", "/hooks/count", body: body, headers: headers)
        #expect(String(decoding: first.body, as: UTF8.self) == "n=1")
        var retry = headers
        retry["X-Request-Id"] = "signed-retry"
        #expect(try await host.request("POST", "/hooks/count", body: body, headers: retry).body.isEmpty)

        let replay = try await host.request("POST", "/", body: Array("replay signed-1".utf8), headers: Self.bearer)
        #expect(replay.status == 200)
        let delivery = try JSONValue(parsing: replay.body)["delivery"]
        #expect(delivery?["status"] == 200)
        #expect(delivery?["reply"]?["body"] == "n=2")
        #expect(delivery?["replay_of"] == "signed-1")
        let unsigned = try await host.request("POST", "/hooks/count", body: body, headers: ["X-Request-Id": "unsigned"])
        #expect(unsigned.status == 401)
        let refusedReplay = try await host.request("POST", "/", body: Array("replay unsigned".utf8), headers: Self.bearer)
        #expect(try JSONValue(parsing: refusedReplay.body)["delivery"]?["status"] == 401)
    }

    /// `--delivery-log N` (0–10000) and `--metrics-public` on the command line, `LOG_FORMAT` in the environment.
    @Test func flagsAndEnvironment() throws {
        let directory = FileManager.default.temporaryDirectory.path
        guard case .run(let defaults) = try CommandLineOptions.parse(["8000", directory], environment: [:]) else {
            Issue.record("expected a run action")
            return
        }
        #expect(defaults.deliveryLogSize == DeliveryLog.defaultCapacity)
        #expect(!defaults.metricsPublic)
        #expect(defaults.logFormat == .text)
        guard case .run(let set) = try CommandLineOptions.parse(
            ["8000", directory, "--delivery-log", "0", "--metrics-public"], environment: ["LOG_FORMAT": "json"])
        else {
            Issue.record("expected a run action")
            return
        }
        #expect(set.deliveryLogSize == 0)
        #expect(set.metricsPublic)
        #expect(set.logFormat == .json)
        for bad in ["-1", "10001", "many"] {
            #expect(throws: CommandLineOptions.UsageError.self) {
                try CommandLineOptions.parse(["8000", directory, "--delivery-log", bad], environment: [:])
            }
        }
        #expect(throws: CommandLineOptions.UsageError.self) {
            try CommandLineOptions.parse(["8000", directory], environment: ["LOG_FORMAT": "xml"])
        }
    }
}
