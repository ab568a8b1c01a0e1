import HostCore
import IntegrationContract
import JSON
import Testing

/// Per-namespace quotas: a write past the keys or bytes limit fails with a quota error and changes nothing
/// (issue: containment, item 5).
@Suite struct StorageQuotaTests {
    @Test func writesPastTheKeyOrByteLimitFailAndLoseNothing() throws {
        let storage = Storage(quota: StorageQuota(maxKeys: 2, maxBytes: 64))
        let space = storage.namespace("notes")
        try space.set("a", "one")
        try space.set("b", 2)
        #expect(throws: StorageError.self) { try space.set("c", 3) }
        // Replacing an existing key does not add one.
        try space.set("a", "uno")
        // Bytes: a value that would take the namespace past 64 bytes of keys and JSON values.
        #expect(throws: StorageError.self) { try space.set("a", .string(String(repeating: "x", count: 80))) }
        #expect(throws: StorageError.self) { _ = try space.compareAndSet("b", expected: 2, new: .string(String(repeating: "y", count: 80))) }
        do {
            _ = try space.append("b", 1)
            Issue.record("append to a number must fail")
        } catch {
            #expect(error.reason == .typeMismatch)
        }
        #expect(space.get("a") == "uno")
        #expect(space.get("b") == 2)
        #expect(space.keys() == ["a", "b"])
        do {
            try space.set("c", 3)
            Issue.record("a third key must fail")
        } catch {
            #expect(error.reason == .quota)
            #expect(error.description == "storage quota: at most 2 keys")
        }
        // Deleting frees room again; other namespaces have their own quota.
        space.delete("b")
        try space.set("c", 3)
        try storage.namespace("other").set("x", 1)
        try storage.namespace("other").set("y", 1)
    }

    @Test func incrementsAndAppendsCountTowardTheQuota() throws {
        let space = Storage(quota: StorageQuota(maxKeys: 10, maxBytes: 24)).namespace("list")
        #expect(try space.append("items", "aaaa") == 1)
        #expect(try space.append("items", "bbbb") == 2)
        #expect(throws: StorageError.self) { try space.append("items", "cccccccc") }
        #expect(space.get("items") == ["aaaa", "bbbb"])
        #expect(try space.increment("n", by: 1) == 1)
    }
}
