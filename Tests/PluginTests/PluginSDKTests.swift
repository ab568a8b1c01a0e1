import Foundation
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
    /// The rest of the Swift SDK, through the built `notes` example in the real host: `Codable` storage with update,
    /// compare-and-set, keys and delete; errors with a status; reply options; a GET route answering JSON with headers.
    @Suite struct PluginSDKTests {
        private func message(_ response: PluginTestHost.Response) throws -> JSONValue? {
            try JSONValue(parsing: response.body)["message"]
        }

        @Test func notesThroughHipChatAndTheRoute() async throws {
            try await PluginTestHost.with(plugins: ["notes.so": try PluginFixtures.builtPlugin("NotesPlugin")]) {
                host in

                #expect(try message(try await host.hipchat("/notes list")) == "no notes")
                #expect(try message(try await host.hipchat("/notes add buy milk")) == "noted (#1)")
                #expect(try message(try await host.hipchat("/notes add call \"Bob\"")) == "noted (#2)")
                #expect(
                    try message(try await host.hipchat("/notes list"))
                        == "1. buy milk (Example Name)\n2. call \"Bob\" (Example Name)")

                let pinned = try await host.hipchat("/notes pin 2")
                #expect(
                    try JSONValue(parsing: pinned.body)
                        == ["message": "pinned #2", "message_format": "text", "color": "purple", "notify": true])
                #expect(try message(try await host.hipchat("/notes pin 1")) == "#2 is already pinned")

                let exported = try await host.request("GET", "/notes/json")
                #expect(exported.status == 200)
                #expect(exported.headers["content-type"] == "application/json")
                #expect(exported.headers["cache-control"] == "no-store")
                #expect(
                    try JSONValue(parsing: exported.body)
                        == [
                            "notes": [
                                ["text": "buy milk", "by": "Example Name"],
                                ["text": "call \"Bob\"", "by": "Example Name"],
                            ],
                            "pinned": 2,
                        ])

                let unknownFormat = try await host.request("GET", "/notes/xml")
                #expect(unknownFormat.status == 404)
                #expect(
                    try JSONValue(parsing: unknownFormat.body)["error"]?.stringValue?.hasSuffix(
                        "only /notes/json exists")
                        == true)

                let usage = try await host.hipchat("/notes frobnicate")
                #expect(usage.status == 400)
                #expect(
                    try JSONValue(parsing: usage.body) == [
                        "error": "notes: usage: /notes add TEXT | list | pin N | forget"
                    ]
                )

                #expect(try message(try await host.hipchat("/notes forget")) == "forgot 2 notes")
                #expect(host.host.dependencies.storage.namespace("notes").keys() == [])
            }
        }

        @Test func concurrentUpdatesKeepEveryNote() async throws {
            try await PluginTestHost.with(plugins: ["notes.so": try PluginFixtures.builtPlugin("NotesPlugin")]) {
                host in
                let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                    for index in 0..<60 { group.addTask { try await host.hipchat("/notes add n\(index)").status } }
                    return try await group.reduce(into: [Int]()) { $0.append($1) }
                }
                #expect(statuses == Array(repeating: 200, count: 60))
                let notes = try #require(host.host.dependencies.storage.namespace("notes").get("notes")?.arrayValue)
                #expect(Set(notes.compactMap { $0["text"]?.stringValue }) == Set((0..<60).map { "n\($0)" }))
            }
        }
    }
}
