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

@Suite struct ConcurrencyTests {
    @Test func thousandConcurrentIncrementsOverHTTP() async throws {
        let host = try TestHost(files: ["count.scripted": #"{"increment": "n", "reply": "{count}"}"#])
        defer { Task { await host.stop() } }
        let body = try Fixtures.hipchat(message: "/count")
        var replies: Set<String> = []
        try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<1000 {
                group.addTask {
                    let response = try await host.request("POST", "/hipchat", body: body)
                    return try JSONValue(parsing: response.body)["message"]?.stringValue ?? "error \(response.status)"
                }
            }
            for try await reply in group { replies.insert(reply) }
        }
        // Every increment saw a distinct value and none was lost.
        #expect(replies == Set((1...1000).map(String.init)))
        #expect(host.host.dependencies.storage.namespace("count").get("n") == 1000)
    }

    @Test func atomicOperationsUnderContention() async throws {
        let storage = Storage()
        let space = storage.namespace("x")
        await withTaskGroup(of: Void.self) { group in
            for i in 0..<2000 {
                group.addTask {
                    try! space.increment("count")
                    try! space.append("list", .number(Double(i)))
                    while true {
                        let current = space.get("cas")
                        let next = JSONValue.number((current?.doubleValue ?? 0) + 1)
                        if try! space.compareAndSet("cas", expected: current, new: next) { break }
                    }
                }
            }
        }
        #expect(space.get("count") == 2000)
        #expect(space.get("list")?.arrayValue?.count == 2000)
        #expect(space.get("cas") == 2000)
        #expect(throws: StorageError.self) { try space.increment("list") }
        #expect(space.keys() == ["cas", "count", "list"])
    }
}
