import JSON

/// One integration's storage namespace: JSON values by key, with atomic read-modify-write operations so parallel
/// runs of the same integration lose no update. The host keeps the values; manifests and plugins reach them
/// through this.
public protocol IntegrationStorage: Sendable {
    func get(_ key: String) -> JSONValue?
    func set(_ key: String, _ value: JSONValue)
    /// Removes `key`; returns whether it was there.
    @discardableResult func delete(_ key: String) -> Bool
    /// The keys, sorted.
    func keys() -> [String]
    /// Adds `delta` to the number at `key` (missing counts as 0) and returns the new value.
    @discardableResult func increment(_ key: String, by delta: Double) throws(StorageError) -> Double
    /// Appends `element` to the array at `key` (missing counts as empty) and returns the new count.
    @discardableResult func append(_ key: String, _ element: JSONValue) throws(StorageError) -> Int
    /// Sets `key` to `new` only if it currently holds `expected` (`nil` = absent); `new == nil` deletes.
    /// Returns whether it swapped.
    func compareAndSet(_ key: String, expected: JSONValue?, new: JSONValue?) -> Bool
}

/// Why a storage operation could not apply (an increment of a string, an append to a number).
public struct StorageError: Error, CustomStringConvertible, Sendable {
    public let description: String

    public init(description: String) { self.description = description }
}

extension IntegrationStorage {
    /// Adds 1 to the number at `key` (missing counts as 0) and returns the new value.
    @discardableResult
    public func increment(_ key: String) throws(StorageError) -> Double { try increment(key, by: 1) }
}
