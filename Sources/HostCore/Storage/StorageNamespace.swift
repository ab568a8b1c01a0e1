import IntegrationContract
import JSON
import Synchronization

/// One integration's storage: a key/value map of JSON values with atomic read-modify-write operations, so
/// parallel runs of the same integration lose no update.
public struct StorageNamespace: IntegrationStorage {
    public let name: String
    let state: NamespaceState
    let storage: Storage

    public func get(_ key: String) -> JSONValue? {
        state.values.withLock { $0[key] }
    }

    public func set(_ key: String, _ value: JSONValue) {
        state.values.withLock { $0[key] = value }
        storage.noteChange()
    }

    /// Removes `key`; returns whether it was there.
    @discardableResult
    public func delete(_ key: String) -> Bool {
        let removed = state.values.withLock { $0.removeValue(forKey: key) != nil }
        if removed { storage.noteChange() }
        return removed
    }

    /// The keys, sorted.
    public func keys() -> [String] {
        state.values.withLock { $0.keys.sorted() }
    }

    /// Adds `delta` to the number at `key` (missing counts as 0) and returns the new value.
    @discardableResult
    public func increment(_ key: String, by delta: Double = 1) throws(StorageError) -> Double {
        let result: Result<Double, StorageError> = state.values.withLock { values in
            let current: Double
            switch values[key] {
            case nil, .null?: current = 0
            case .number(let n)?: current = n
            default: return .failure(StorageError(description: "storage key '\(key)' does not hold a number"))
            }
            values[key] = .number(current + delta)
            return .success(current + delta)
        }
        let value = try result.get()
        storage.noteChange()
        return value
    }

    /// Appends `element` to the array at `key` (missing counts as empty) and returns the new count.
    @discardableResult
    public func append(_ key: String, _ element: JSONValue) throws(StorageError) -> Int {
        let result: Result<Int, StorageError> = state.values.withLock { values in
            var array: [JSONValue]
            switch values[key] {
            case nil, .null?: array = []
            case .array(let existing)?: array = existing
            default: return .failure(StorageError(description: "storage key '\(key)' does not hold an array"))
            }
            values[key] = nil
            array.append(element)
            values[key] = .array(array)
            return .success(array.count)
        }
        let count = try result.get()
        storage.noteChange()
        return count
    }

    /// Sets `key` to `new` only if it currently holds `expected` (`nil` = absent); `new == nil` deletes.
    /// Returns whether it swapped.
    public func compareAndSet(_ key: String, expected: JSONValue?, new: JSONValue?) -> Bool {
        let swapped = state.values.withLock { values in
            guard values[key] == expected else { return false }
            values[key] = new
            return true
        }
        if swapped { storage.noteChange() }
        return swapped
    }
}
