import JSON

/// One integration's storage namespace: JSON values by key, with atomic read-modify-write operations so parallel
/// runs of the same integration lose no update. The host keeps the values; manifests and plugins reach them
/// through this.
public protocol IntegrationStorage: Sendable {
    func get(_ key: String) -> JSONValue?
    /// Stores `value` at `key`; throws `.quota` when the namespace would pass its limits (nothing changes then).
    func set(_ key: String, _ value: JSONValue) throws(StorageError)
    /// Removes `key`; returns whether it was there.
    @discardableResult func delete(_ key: String) -> Bool
    /// The keys, sorted.
    func keys() -> [String]
    /// Adds `delta` to the number at `key` (missing counts as 0) and returns the new value.
    @discardableResult func increment(_ key: String, by delta: Double) throws(StorageError) -> Double
    /// Appends `element` to the array at `key` (missing counts as empty) and returns the new count.
    @discardableResult func append(_ key: String, _ element: JSONValue) throws(StorageError) -> Int
    /// Removes the element at `index` (0-based) of the array at `key` (missing counts as empty). With no element
    /// there, nothing changes and the removal's `removed` is nil.
    func removeElement(_ key: String, at index: Int) throws(StorageError) -> ListRemoval
    /// Removes the first element equal to `element` from the array at `key` (missing counts as empty). With none
    /// equal, nothing changes and the removal's `removed` is nil.
    func removeElement(_ key: String, equalTo element: JSONValue) throws(StorageError) -> ListRemoval
    /// Sets `key` to `new` only if it currently holds `expected` (`nil` = absent); `new == nil` deletes.
    /// Returns whether it swapped.
    func compareAndSet(_ key: String, expected: JSONValue?, new: JSONValue?) throws(StorageError) -> Bool
    /// How far the namespace is from its quota now.
    func headroom() -> StorageRoom
    /// Stores `value` at `key` without the quota check: for a write whose room was granted before it was made (a
    /// plugin worker's `set` that did not wait for its answer, within the room its call was given).
    func setGranted(_ key: String, _ value: JSONValue)
}

/// An amount of storage, in keys and in bytes (keys and values as JSON text, as the quota weighs them): what a
/// namespace can still take before its quota refuses a write, or what a plugin call may write without waiting.
public struct StorageRoom: Sendable, Equatable {
    public var keys: Int
    public var bytes: Int

    public init(keys: Int, bytes: Int) {
        self.keys = keys
        self.bytes = bytes
    }

    public static let none = StorageRoom(keys: 0, bytes: 0)

    /// What `value` at `key` weighs against the quota: the key's UTF-8 length and the value's JSON length.
    public static func weight(_ key: String, _ value: JSONValue) -> Int { key.utf8.count + value.serializedCount }
}

/// Why a storage operation could not apply: the stored value has the wrong type (an increment of a string), or the
/// namespace would pass its quota of keys or bytes.
public struct StorageError: Error, CustomStringConvertible, Sendable {
    public enum Reason: Sendable, Equatable {
        case typeMismatch
        case quota
    }

    public let reason: Reason
    public let description: String

    public init(_ reason: Reason = .typeMismatch, description: String) {
        self.reason = reason
        self.description = description
    }
}

extension IntegrationStorage {
    /// Adds 1 to the number at `key` (missing counts as 0) and returns the new value.
    @discardableResult
    public func increment(_ key: String) throws(StorageError) -> Double { try increment(key, by: 1) }

    /// A storage that does not know its quota grants no room.
    public func headroom() -> StorageRoom { .none }

    /// A storage that grants no room checks every write.
    public func setGranted(_ key: String, _ value: JSONValue) { try? set(key, value) }
}
