import HostCore
import IntegrationContract
import JSON
import Testing

/// Removing list elements: atomic, nothing changes when nothing matches, and a shrinking list is never refused
/// by the quota.
@Suite struct StorageListTests {
    @Test func removesAtAPositionOrTheFirstEqualElement() throws {
        let storage = Storage()
        let space = storage.namespace("todo")
        for item: JSONValue in ["a", "b", "a", 1] { _ = try space.append("list", item) }
        #expect(try space.removeElement("list", at: 1) == ListRemoval(removed: "b", count: 3))
        #expect(try space.removeElement("list", equalTo: "a") == ListRemoval(removed: "a", count: 2))
        #expect(try space.removeElement("list", equalTo: 1.0) == ListRemoval(removed: 1, count: 1))
        #expect(space.get("list") == ["a"])
        #expect(try space.removeElement("list", at: 0) == ListRemoval(removed: "a", count: 0))
        #expect(space.get("list") == [])
    }

    @Test func nothingMatchingChangesNothing() throws {
        let storage = Storage()
        let space = storage.namespace("todo")
        _ = try space.append("list", "a")
        let changes = storage.changeCount
        #expect(try space.removeElement("list", at: 1) == ListRemoval(removed: nil, count: 1))
        #expect(try space.removeElement("list", at: -1) == ListRemoval(removed: nil, count: 1))
        #expect(try space.removeElement("list", equalTo: "A") == ListRemoval(removed: nil, count: 1))
        #expect(try space.removeElement("missing", at: 0) == ListRemoval(removed: nil, count: 0))
        #expect(storage.changeCount == changes)
        #expect(space.keys() == ["list"])
        try space.set("n", 3)
        do {
            _ = try space.removeElement("n", equalTo: 3)
            Issue.record("a number is not a list")
        } catch {
            #expect(error.reason == .typeMismatch)
            #expect(error.description == "storage key 'n' does not hold an array")
        }
        #expect(space.get("n") == 3)
    }

    /// An admin `load` is not held to the quota; a list it left over the quota can still shrink, and growing it
    /// is still refused.
    @Test func aListOverTheQuotaCanShrink() throws {
        let storage = Storage(quota: StorageQuota(maxKeys: 10, maxBytes: 32))
        storage.replaceAll(with: ["todo": ["list": .array((0..<10).map { .string("item \($0)") })]])
        let space = storage.namespace("todo")
        #expect(throws: StorageError.self) { try space.append("list", "more") }
        #expect(try space.removeElement("list", at: 0).removed == "item 0")
        #expect(try space.removeElement("list", equalTo: "item 9").removed == "item 9")
        #expect(space.get("list")?.arrayValue?.count == 8)
    }

    @Test func parallelAppendsAndRemovalsLoseNothing() async throws {
        let space = Storage().namespace("todo")
        for n in 0..<500 { _ = try space.append("list", .number(Double(n))) }
        await withTaskGroup(of: Void.self) { group in
            for n in 0..<500 {
                group.addTask { _ = try? space.append("list", .number(Double(500 + n))) }
                group.addTask { _ = try? space.removeElement("list", equalTo: .number(Double(n))) }
            }
        }
        let remaining = space.get("list")?.arrayValue?.compactMap(\.doubleValue) ?? []
        #expect(remaining.count == 500)
        #expect(Set(remaining) == Set((500..<1000).map(Double.init)))
    }
}
