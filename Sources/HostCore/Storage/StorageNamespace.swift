import IntegrationContract
import JSON
import Synchronization

/// One integration's storage: a key/value map of JSON values with atomic read-modify-write operations, so
/// parallel runs of the same integration lose no update. Writes that would pass the storage's quota fail with
/// `StorageError.Reason.quota` and change nothing.
public struct StorageNamespace: IntegrationStorage {
    public let name: String
    let state: NamespaceState
    let storage: Storage

    public func get(_ key: String) -> JSONValue? {
        state.contents.withLock { $0.values[key] }
    }

    public func set(_ key: String, _ value: JSONValue) throws(StorageError) {
        let quota = storage.quota
        try state.contents.withLock { (contents) throws(StorageError) in try contents.store(key, value, quota: quota) }
        storage.noteChange()
    }

    public func headroom() -> StorageRoom {
        let quota = storage.quota
        return state.contents.withLock {
            StorageRoom(keys: max(0, quota.maxKeys - $0.values.count), bytes: max(0, quota.maxBytes - $0.bytes))
        }
    }

    public func setGranted(_ key: String, _ value: JSONValue) {
        state.contents.withLock { try? $0.store(key, value, quota: nil) }
        storage.noteChange()
    }

    /// Removes `key`; returns whether it was there.
    @discardableResult
    public func delete(_ key: String) -> Bool {
        let removed = state.contents.withLock { contents in
            guard contents.values[key] != nil else { return false }
            try? contents.store(key, nil, quota: storage.quota)
            return true
        }
        if removed { storage.noteChange() }
        return removed
    }

    /// The keys, sorted.
    public func keys() -> [String] {
        state.contents.withLock { $0.values.keys.sorted() }
    }

    /// Adds `delta` to the number at `key` (missing counts as 0) and returns the new value.
    @discardableResult
    public func increment(_ key: String, by delta: Double = 1) throws(StorageError) -> Double {
        let quota = storage.quota
        let value = try state.contents.withLock { (contents) throws(StorageError) -> Double in
            let current: Double
            switch contents.values[key] {
            case nil, .null?: current = 0
            case .number(let n)?: current = n
            default: throw StorageError(description: "storage key '\(key)' does not hold a number")
            }
            try contents.store(key, .number(current + delta), quota: quota)
            return current + delta
        }
        storage.noteChange()
        return value
    }

    /// Appends `element` to the array at `key` (missing counts as empty) and returns the new count.
    @discardableResult
    public func append(_ key: String, _ element: JSONValue) throws(StorageError) -> Int {
        let quota = storage.quota
        let count = try state.contents.withLock { (contents) throws(StorageError) -> Int in
            var array = try StorageNamespace.array(at: key, in: contents)
            array.append(element)
            try contents.store(key, .array(array), quota: quota)
            return array.count
        }
        storage.noteChange()
        return count
    }

    /// Removes the element at `index` (0-based) of the array at `key` (missing counts as empty); with none there,
    /// nothing changes.
    public func removeElement(_ key: String, at index: Int) throws(StorageError) -> ListRemoval {
        try removeElement(key) { array in array.indices.contains(index) ? index : nil }
    }

    /// Removes the first element equal to `element` from the array at `key` (missing counts as empty); with none
    /// equal, nothing changes.
    public func removeElement(_ key: String, equalTo element: JSONValue) throws(StorageError) -> ListRemoval {
        try removeElement(key) { array in array.firstIndex(of: element) }
    }

    /// Removes the element `position` picks from the array at `key`, choosing and removing under one lock.
    private func removeElement(_ key: String, choosing position: ([JSONValue]) -> Int?) throws(StorageError) -> ListRemoval {
        let quota = storage.quota
        let removal = try state.contents.withLock { (contents) throws(StorageError) -> ListRemoval in
            var array = try StorageNamespace.array(at: key, in: contents)
            guard let index = position(array) else { return ListRemoval(removed: nil, count: array.count) }
            let removed = array.remove(at: index)
            try contents.store(key, .array(array), quota: quota)
            return ListRemoval(removed: removed, count: array.count)
        }
        if removal.removed != nil { storage.noteChange() }
        return removal
    }

    /// The array at `key`: empty when the key is missing or null, a type mismatch when it holds something else.
    private static func array(at key: String, in contents: NamespaceState.Contents) throws(StorageError) -> [JSONValue] {
        switch contents.values[key] {
        case nil, .null?: return []
        case .array(let existing)?: return existing
        default: throw StorageError(description: "storage key '\(key)' does not hold an array")
        }
    }

    /// Sets `key` to `new` only if it currently holds `expected` (`nil` = absent); `new == nil` deletes.
    /// Returns whether it swapped; throws when the new value would pass the quota (nothing changes then).
    public func compareAndSet(_ key: String, expected: JSONValue?, new: JSONValue?) throws(StorageError) -> Bool {
        let quota = storage.quota
        let swapped = try state.contents.withLock { (contents) throws(StorageError) -> Bool in
            guard contents.values[key] == expected else { return false }
            try contents.store(key, new, quota: quota)
            return true
        }
        if swapped { storage.noteChange() }
        return swapped
    }
}
