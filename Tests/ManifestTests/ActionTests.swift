import Foundation
import HTTPServer
import JSON
import Testing

@testable import HostApp
@testable import HostCore
@testable import IntegrationContract
@testable import Logging
@testable import Manifests
@testable import Platforms
@testable import Plugins

@Suite struct ActionTests {
    @Test func replyWithEveryField() async throws {
        let manifest = try Fixtures.manifest(#"""
            {"actions": [{"reply": {"text": "hi {{sender.name}}", "color": "green", "notify": true,
                                    "visibility": "ephemeral", "status": 201,
                                    "headers": {"X-Who": "{{sender.handle}}"},
                                    "json": {"n": "{{query}}", "list": ["{{sender.id}}", 1]}}}]}
            """#)
        let reply = try #require(try await manifest.run(Fixtures.invocation(query: "q")))
        #expect(reply.text == "hi Ada Lovelace")
        #expect(reply.color == .green)
        #expect(reply.notify)
        #expect(reply.visibility == .ephemeral)
        #expect(reply.status == 201)
        #expect(reply.headers.map { "\($0.name): \($0.value)" } == ["X-Who: ada"])
        #expect(reply.json == ["n": "q", "list": ["42", 1]])
    }

    @Test func noReplyActionMeansNoReply() async throws {
        let manifest = try Fixtures.manifest(#"{"actions": [{"log": "quiet {{query}}"}]}"#)
        #expect(try await manifest.run(Fixtures.invocation()) == nil)
    }

    @Test func logActionWritesToTheHostLog() async throws {
        let (logger, file) = Fixtures.recordingLogger()
        let manifest = try Fixtures.manifest(#"{"actions": [{"log": "saw {{query}}"}]}"#)
        _ = try await manifest.run(Fixtures.invocation(query: "this", logger: logger))
        let log = try String(contentsOf: file, encoding: .utf8)
        #expect(log.contains("integration=test saw this"))
    }

    @Test func storeOperations() async throws {
        let storage = Storage()
        let manifest = try Fixtures.manifest(#"""
            {"actions": [
              {"store": {"op": "set", "key": "k-{{query}}", "value": {"who": "{{sender.handle}}"}}, "into": "set"},
              {"store": {"op": "increment", "key": "count"}, "into": "c1"},
              {"store": {"op": "increment", "key": "count", "by": "{{query}}"}, "into": "c2"},
              {"store": {"op": "append", "key": "log", "value": "{{query}}"}},
              {"store": {"op": "append", "key": "log", "value": 7}, "into": "length"},
              {"store": {"op": "get", "key": "log"}, "into": "got"},
              {"store": {"op": "delete", "key": "k-{{query}}"}, "into": "deleted"},
              {"store": {"op": "delete", "key": "k-{{query}}"}, "into": "again"},
              {"reply": "{{set.who}} {{c1}} {{c2}} {{length}} {{got}} {{deleted}} {{again}}"}]}
            """#)
        let reply = try await manifest.run(Fixtures.invocation(query: "5", storage: storage))
        #expect(reply?.text == #"ada 1 6 2 ["5",7] true false"#)
        let namespace = storage.namespace("test")
        #expect(namespace.get("count") == 6)
        #expect(namespace.get("k-5") == nil)
    }

    @Test func storeRemovesByPositionAndByValue() async throws {
        let storage = Storage()
        let list = storage.namespace("test")
        for item: JSONValue in ["a", "b", "c", 2, "b"] { _ = try list.append("todo", item) }
        let manifest = try Fixtures.manifest(#"""
            {"actions": [
              {"store": {"op": "remove", "key": "todo", "index": "{{query}}"}, "into": "second"},
              {"store": {"op": "remove", "key": "todo", "index": 1}, "into": "first"},
              {"store": {"op": "remove", "key": "todo", "value": "b"}, "into": "b"},
              {"store": {"op": "remove", "key": "todo", "value": 2}, "into": "two"},
              {"reply": "{{second}} {{first}} {{b}} {{two}} {{storage.todo}}"}]}
            """#)
        let reply = try await manifest.run(Fixtures.invocation(query: " 2 ", storage: storage))
        #expect(reply?.text == #"b a b 2 ["c"]"#)
        #expect(list.get("todo") == ["c"])
    }

    /// A position past the end, before the start, or a value not in the list: 404 with the reason, nothing removed.
    @Test(arguments: [
        (#"{"index": "{{query}}"}"#, "3", 404, "store: the list at 'todo' has no item 3 (it has 2)"),
        (#"{"index": "{{query}}"}"#, "0", 404, "store: the list at 'todo' has no item 0 (it has 2)"),
        (#"{"index": "{{query}}"}"#, "-1", 404, "store: the list at 'todo' has no item -1 (it has 2)"),
        (#"{"index": "{{query}}"}"#, "99999999999999999999999", 404, "store: the list at 'todo' has no item \(Int.max) (it has 2)"),
        (#"{"index": "{{query}}"}"#, "x", 400, #"store: index "x" is not a whole number"#),
        (#"{"index": "{{query}}"}"#, "1.5", 400, #"store: index "1.5" is not a whole number"#),
        (#"{"index": 1.5}"#, "", 400, "store: index 1.5 is not a whole number"),
        (#"{"value": "{{query}}"}"#, "c", 404, #"store: the list at 'todo' has no item equal to "c""#),
        (#"{"value": "{{query}}"}"#, String(repeating: "z", count: 100), 404,
         #"store: the list at 'todo' has no item equal to ""# + String(repeating: "z", count: 62) + "…"),
    ])
    func storeRemoveOfWhatIsNotThereChangesNothing(by: String, query: String, status: Int, message: String) async throws {
        let storage = Storage()
        _ = try storage.namespace("test").append("todo", "a")
        _ = try storage.namespace("test").append("todo", "b")
        let changes = storage.changeCount
        let manifest = try Fixtures.manifest(#"{"actions": [{"store": {"op": "remove", "key": "todo", "#
            + by.dropFirst() + "}]}")
        do {
            _ = try await manifest.run(Fixtures.invocation(query: query, storage: storage))
            Issue.record("removing what is not there must fail")
        } catch let error as IntegrationError {
            #expect(error.status.code == status)
            #expect(error.message == message)
        }
        #expect(storage.namespace("test").get("todo") == ["a", "b"])
        #expect(storage.changeCount == changes)
    }

    @Test func storeRemoveFromAMissingListOrANonList() async throws {
        let storage = Storage()
        try storage.namespace("test").set("text", "not a list")
        let manifest = try Fixtures.manifest(#"{"actions": [{"store": {"op": "remove", "key": "{{query}}", "index": 1}}]}"#)
        for (key, status, message) in [("missing", 404, "store: the list at 'missing' has no item 1 (it has 0)"),
                                       ("text", 409, "store: storage key 'text' does not hold an array")] {
            do {
                _ = try await manifest.run(Fixtures.invocation(query: key, storage: storage))
                Issue.record("removing from \(key) must fail")
            } catch let error as IntegrationError {
                #expect(error.status.code == status)
                #expect(error.message == message)
            }
        }
        #expect(storage.namespace("test").keys() == ["text"])
    }

    /// Parallel removals of the first element each take a different one: every element comes out exactly once.
    @Test func parallelRemovalsTakeEachElementOnce() async throws {
        let storage = Storage()
        for n in 0..<200 { _ = try storage.namespace("test").append("todo", .number(Double(n))) }
        let manifest = try Fixtures.manifest(#"""
            {"actions": [{"store": {"op": "remove", "key": "todo", "index": 1}, "into": "r"}, {"reply": "{{r}}"}]}
            """#)
        let removed = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<200 {
                group.addTask { try await manifest.run(Fixtures.invocation(storage: storage))?.text ?? "" }
            }
            var all: [String] = []
            for try await text in group { all.append(text) }
            return all
        }
        #expect(removed.sorted() == (0..<200).map(String.init).sorted())
        #expect(storage.namespace("test").get("todo") == [])
    }

    @Test func storeTypeMismatchIsAFailure() async throws {
        let storage = Storage()
        try storage.namespace("test").set("s", "text")
        let manifest = try Fixtures.manifest(#"{"actions": [{"store": {"op": "increment", "key": "s"}}]}"#)
        await #expect(throws: IntegrationError.self) {
            try await manifest.run(Fixtures.invocation(storage: storage))
        }
        do {
            _ = try await manifest.run(Fixtures.invocation(storage: storage))
        } catch let error as IntegrationError {
            #expect(error.status == 409)
            #expect(error.message == "store: storage key 's' does not hold a number")
        }
    }

    @Test func parallelIncrementsLoseNothing() async throws {
        let storage = Storage()
        let manifest = try Fixtures.manifest(#"{"actions": [{"store": {"op": "increment", "key": "n"}}]}"#)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<200 {
                group.addTask { _ = try await manifest.run(Fixtures.invocation(storage: storage)) }
            }
            try await group.waitForAll()
        }
        #expect(storage.namespace("test").get("n") == 200)
    }

    @Test func calcAndItsErrors() async throws {
        let manifest = try Fixtures.manifest(#"""
            {"actions": [{"calc": "{{query}}", "into": "r", "on_error": {"status": 400, "reply": "bad: {{error}}"}},
                         {"reply": "{{r}}"}]}
            """#)
        #expect(try await manifest.run(Fixtures.invocation(query: "(1+2)*3"))?.text == "9")
        let bad = try #require(try await manifest.run(Fixtures.invocation(query: "1/0")))
        #expect(bad.text == "bad: calc: division by zero")
        #expect(bad.status == 400)
        let code = try #require(try await manifest.run(Fixtures.invocation(query: "__import__('os')")))
        #expect(code.text == "bad: calc: unexpected '_' at 1")
    }

    @Test func diceRollsWithinBounds() async throws {
        let manifest = try Fixtures.manifest(#"""
            {"actions": [{"dice": "{{query}}", "into": "roll"}, {"reply": {"text": "{{roll.text}}", "json": "{{roll}}"}}]}
            """#)
        for _ in 0..<20 {
            let reply = try #require(try await manifest.run(Fixtures.invocation(query: "3d6+2")))
            let json = try #require(reply.json)
            let rollValues = try #require(json["rolls"]?.arrayValue)
            let rolls = rollValues.compactMap { $0.intValue }
            #expect(rolls.count == 3)
            #expect(rolls.allSatisfy { (1...6).contains($0) })
            #expect(json["total"]?.intValue == rolls.reduce(2, +))
            #expect(json["dice"] == "3d6+2")
            #expect(reply.text == rolls.map(String.init).joined(separator: " + "))
        }
        await #expect(throws: IntegrationError.self) { try await manifest.run(Fixtures.invocation(query: "101d6")) }
    }

    @Test func ifSkipsActionsWhoseRuleDoesNotHold() async throws {
        let manifest = try Fixtures.manifest(#"""
            {"actions": [
              {"if": {"match": {"value": "{{query}}", "equals": "a"}}, "reply": "was a"},
              {"if": {"not": {"match": {"value": "{{query}}", "equals": "a"}}}, "reply": "not a"}]}
            """#)
        #expect(try await manifest.run(Fixtures.invocation(query: "a"))?.text == "was a")
        #expect(try await manifest.run(Fixtures.invocation(query: "b"))?.text == "not a")
    }

    @Test func onErrorContinueKeepsGoingWithTheErrorVariable() async throws {
        let manifest = try Fixtures.manifest(#"""
            {"actions": [{"calc": "{{query}}", "into": "r", "on_error": {"continue": true}},
                         {"reply": "r={{r | default: \"none\"}} error={{error}}"}]}
            """#)
        #expect(try await manifest.run(Fixtures.invocation(query: "1+"))?.text == "r=none error=calc: unexpected end of expression")
    }

    @Test func failureWithoutOnErrorThrowsTheActionsStatus() async throws {
        let manifest = try Fixtures.manifest(#"{"actions": [{"calc": "{{query}}"}]}"#)
        do {
            _ = try await manifest.run(Fixtures.invocation(query: "2*"))
            Issue.record("expected an error")
        } catch let error as IntegrationError {
            #expect(error.status == 400)
            #expect(error.message == "calc: unexpected end of expression")
        }
    }

    @Test func methodsAreChecked() async throws {
        let manifest = try Fixtures.manifest(#"{"methods": ["PUT"], "routes": ["/x"], "actions": [{"reply": "ok"}]}"#)
        #expect(try await manifest.run(Fixtures.invocation(request: Fixtures.request(method: .put)))?.text == "ok")
        #expect(try await manifest.run(Fixtures.invocation(request: Fixtures.request(method: .post)))?.text == "ok")
        do {
            _ = try await manifest.run(Fixtures.invocation(request: Fixtures.request(method: .get)))
            Issue.record("expected 405")
        } catch let error as IntegrationError {
            #expect(error.status == 405)
        }
    }

    @Test func aStoreWritePastTheQuotaIs507AndKeepsWhatWasStored() async throws {
        let storage = Storage(quota: StorageQuota(maxKeys: 1, maxBytes: 1 << 20))
        let manifest = try Fixtures.manifest(#"{"actions": [{"store": {"op": "set", "key": "{{query}}", "value": "v"}}]}"#)
        _ = try await manifest.run(Fixtures.invocation(query: "first", storage: storage))
        do {
            _ = try await manifest.run(Fixtures.invocation(query: "second", storage: storage))
            Issue.record("a second key must be refused")
        } catch let error as IntegrationError {
            #expect(error.status == 507)
            #expect(error.message == "store: storage quota: at most 1 keys")
        }
        #expect(storage.namespace("test").keys() == ["first"])
    }
}
