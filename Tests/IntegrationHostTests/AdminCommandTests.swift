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

/// `save FILE`, `load FILE` and `erase` as POST / bodies.
@Suite struct AdminCommandTests {
    static let counter = #"{"increment": "hits", "reply": "{count}"}"#

    func admin(_ host: TestHost, _ command: String, token: String? = nil) async throws -> (status: Int, json: JSONValue) {
        let headers = token.map { ["Authorization": "Bearer \($0)"] } ?? [:]
        let response = try await host.request("POST", "/", body: Array(command.utf8), headers: headers)
        return (response.status, try JSONValue(parsing: response.body))
    }

    @Test func saveLoadEraseRoundTrip() async throws {
        let host = try TestHost(files: ["count.scripted": Self.counter], adminToken: "ADMIN")
        defer { Task { await host.stop() } }
        for _ in 0..<3 {
            _ = try await host.request("POST", "/hipchat", body: try Fixtures.hipchat(message: "/count"))
        }
        let saved = try await admin(host, "save storage.json", token: "ADMIN")
        #expect(saved.status == 200)
        #expect(saved.json == ["saved": "storage.json", "integrations": ["count": ["hits"]]])
        let file = try String(contentsOf: host.stateDirectory.appendingPathComponent("storage.json"), encoding: .utf8)
        #expect(file == "{\n    \"count\": {\n        \"hits\": 3\n    }\n}\n")

        let erased = try await admin(host, "erase", token: "ADMIN")
        #expect(erased.status == 200)
        #expect(erased.json == ["erased": ["count": ["hits"]]])
        let afterErase = try await host.request("POST", "/hipchat", body: try Fixtures.hipchat(message: "/count"))
        #expect(try JSONValue(parsing: afterErase.body)["message"] == "1")

        let loaded = try await admin(host, "load storage.json", token: "ADMIN")
        #expect(loaded.status == 200)
        #expect(loaded.json == ["loaded": "storage.json", "integrations": ["count": ["hits"]]])
        let afterLoad = try await host.request("POST", "/hipchat", body: try Fixtures.hipchat(message: "/count"))
        #expect(try JSONValue(parsing: afterLoad.body)["message"] == "4")
    }

    @Test func loadsHipchatIntegrationFilesAndRefusesBadOnes() async throws {
        let host = try TestHost(files: ["count.scripted": Self.counter])
        defer { Task { await host.stop() } }
        // A file as Python's json.dumps(storage, indent=4) writes it.
        try #"{"count": {"hits": 41, "names": ["a", "b"]}}"#.write(
            to: host.stateDirectory.appendingPathComponent("py.json"), atomically: true, encoding: .utf8)
        #expect(try await admin(host, "load py.json").status == 200)
        let bad: [(String, String, String)] = [
            ("missing.json", "", "cannot load missing.json: no such file in the state directory"),
            ("notjson.json", "{nope", "cannot load notjson.json: not JSON"),
            ("array.json", "[1]", "cannot load array.json: must be a JSON object mapping integration names to objects"),
            ("shape.json", #"{"count": 3}"#, "cannot load shape.json: member 'count' must be an object of keys and values"),
        ]
        for (name, contents, message) in bad {
            if !contents.isEmpty {
                try contents.write(to: host.stateDirectory.appendingPathComponent(name), atomically: true, encoding: .utf8)
            }
            let result = try await admin(host, "load \(name)")
            #expect(result.status == 400)
            #expect(result.json["error"]?.stringValue?.hasPrefix(message) == true, "\(result.json)")
        }
        // Storage is unchanged by the failed loads.
        let reply = try await host.request("POST", "/hipchat", body: try Fixtures.hipchat(message: "/count"))
        #expect(try JSONValue(parsing: reply.body)["message"] == "42")
    }

    @Test func traversalIsRefusedAndNothingIsWritten() async throws {
        let host = try TestHost()
        defer { Task { await host.stop() } }
        let outside = host.root.appendingPathComponent("outside")
        try FileManager.default.createDirectory(at: outside, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(
            at: host.stateDirectory.appendingPathComponent("link.json"),
            withDestinationURL: outside.appendingPathComponent("target.json"))
        try FileManager.default.createSymbolicLink(
            at: host.stateDirectory.appendingPathComponent("dirlink"), withDestinationURL: outside)
        for name in ["/etc/passwd", "../outside/x.json", "a/../../x.json", "link.json", "dirlink/x.json", "./x", "a b"] {
            for verb in ["save", "load"] {
                let result = try await admin(host, "\(verb) \(name)")
                #expect(result.status == 400 || (name == "a b"), "\(verb) \(name): \(result)")
            }
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: outside.path).isEmpty)
    }

    @Test func authentication() async throws {
        let host = try TestHost(adminToken: "ADMIN")
        defer { Task { await host.stop() } }
        #expect(try await admin(host, "erase").status == 403)
        #expect(try await admin(host, "erase", token: "WRONG").status == 403)
        #expect(try await admin(host, "erase", token: "ADMI").status == 403)
        let refused = try await admin(host, "save x.json", token: "nope")
        #expect(refused.json["error"] == "wrong admin token")
        #expect(!FileManager.default.fileExists(atPath: host.stateDirectory.appendingPathComponent("x.json").path))
        #expect(try await admin(host, "erase", token: "ADMIN").status == 200)
        #expect(!host.log.contains("ADMIN\n"))
    }

    @Test func stateFileLoadedAtStartAndSavedOnShutdown() async throws {
        let first = try TestHost(files: ["count.scripted": Self.counter], stateFile: "state.json")
        for _ in 0..<2 {
            _ = try await first.request("POST", "/hipchat", body: try Fixtures.hipchat(message: "/count"))
        }
        await first.host.shutdown(gracePeriod: .seconds(1))
        let saved = try String(contentsOf: first.stateDirectory.appendingPathComponent("state.json"), encoding: .utf8)
        #expect(saved.contains("\"hits\": 2"))
        let config = first.host.dependencies.configuration
        let second = try HostProcess(configuration: config, loaders: [ScriptedIntegrationLoader()])
        try second.start()
        let reply = try await TestHTTP.request(
            "POST", URL(string: "http://127.0.0.1:\(second.port)/hipchat")!, body: try Fixtures.hipchat(message: "/count"))
        #expect(try JSONValue(parsing: reply.body)["message"] == "3")
        await second.shutdown(gracePeriod: .seconds(1))
        try? FileManager.default.removeItem(at: first.root)
    }
}
