import CIntegrationABI
import JSON

/// This integration's storage namespace on the host: JSON values by key, read and written as `Codable` values.
/// `increment`, `compareAndSet` and `update` are atomic, so concurrent runs lose no update. Works only while `run`
/// is running.
public struct Storage {
    let host: HostAPI

    /// Why a storage call failed.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    /// The value at `key` decoded as `T`, or `nil` if there is none.
    public func get<T: Decodable>(_ key: String, as type: T.Type = T.self) throws -> T? {
        guard let bytes = try json(key) else { return nil }
        return try StorageDecoder.decode(T.self, from: bytes)
    }

    /// Stores `value` at `key`.
    public func set<T: Encodable>(_ key: String, _ value: T) throws {
        let bytes = try Storage.encode(value)
        let status = HostAPI.withBytes(key) { key, keyLength in
            HostAPI.withBytes(bytes) { host.api.storage_set!(host.context, key, keyLength, $0, $1) }
        }
        try check(status, "set", key)
    }

    /// Removes `key`; returns whether it was there.
    @discardableResult
    public func delete(_ key: String) throws -> Bool {
        let status = HostAPI.withBytes(key) { host.api.storage_delete!(host.context, $0, $1) }
        if status == INTEGRATION_NOT_FOUND.rawValue { return false }
        try check(status, "delete", key)
        return true
    }

    /// The keys, sorted.
    public func keys() throws -> [String] {
        var keys = integration_string()
        try check(host.api.storage_keys!(host.context, &keys), "list", "")
        return try StorageDecoder.decode([String].self, from: HostAPI.bytes(keys))
    }

    /// Atomically adds `delta` to the integer at `key` (missing counts as 0); returns what was stored, so a counter
    /// reads `1`, `2`, … (exact up to 2^53; the host keeps numbers as JSON numbers).
    @discardableResult
    public func increment(_ key: String, by delta: Int = 1) throws -> Int {
        let value = try increment(key, by: Double(delta))
        guard let integer = Int(exactly: value) else {
            throw Failure(description: "storage increment '\(key)': the stored value \(value) is not an integer")
        }
        return integer
    }

    /// Atomically adds `delta` to the number at `key` (missing counts as 0); returns the new value.
    @discardableResult
    public func increment(_ key: String, by delta: Double) throws -> Double {
        var value = 0.0
        let status = HostAPI.withBytes(key) { host.api.storage_increment!(host.context, $0, $1, delta, &value) }
        try check(status, "increment", key)
        return value
    }

    /// Atomically sets `key` to `new` if it holds `expected` (`nil`: absent; `new == nil` deletes). Returns whether
    /// it swapped. Values are compared as JSON documents.
    public func compareAndSet<T: Encodable>(_ key: String, expected: T?, new: T?) throws -> Bool {
        var expectedBytes: [UInt8]?
        var newBytes: [UInt8]?
        if let expected { expectedBytes = try Storage.encode(expected) }
        if let new { newBytes = try Storage.encode(new) }
        let status = compareAndSet(key, expectedBytes, newBytes)
        if status == INTEGRATION_CONFLICT.rawValue { return false }
        try check(status, "compare-and-set", key)
        return true
    }

    /// Atomically replaces the value at `key` with `transform` applied to it (`initial` when missing), retrying
    /// when another run changed it meanwhile. Returns the stored value.
    @discardableResult
    public func update<T: Codable & Equatable>(_ key: String, initial: T, _ transform: (inout T) throws -> Void)
        throws -> T
    {
        while true {
            let current: T? = try get(key)
            var next = current ?? initial
            try transform(&next)
            if try compareAndSet(key, expected: current, new: next) { return next }
        }
    }

    /// The JSON text at `key`, or `nil` if there is none.
    public func json(_ key: String) throws -> [UInt8]? {
        var value = integration_string()
        let status = HostAPI.withBytes(key) { host.api.storage_get!(host.context, $0, $1, &value) }
        if status == INTEGRATION_NOT_FOUND.rawValue { return nil }
        try check(status, "get", key)
        return HostAPI.bytes(value)
    }

    private func compareAndSet(_ key: String, _ expected: [UInt8]?, _ new: [UInt8]?) -> Int32 {
        HostAPI.withBytes(key) { key, keyLength in
            Storage.withOptional(expected) { expected, expectedLength in
                Storage.withOptional(new) { new, newLength in
                    host.api.storage_compare_and_set!(
                        host.context, key, keyLength, expected, expectedLength, new, newLength)
                }
            }
        }
    }

    /// JSON text for `value`, as `JSONEncoder` would write it (`StorageCoding.swift`).
    private static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        try StorageEncoder.encode(value)
    }

    private static func withOptional<R>(_ bytes: [UInt8]?, _ body: (UnsafePointer<CChar>?, Int) -> R) -> R {
        guard let bytes else { return body(nil, 0) }
        return HostAPI.withBytes(bytes, body)
    }

    private func check(_ status: Int32, _ operation: String, _ key: String) throws {
        guard status != INTEGRATION_OK.rawValue else { return }
        let reason: String
        switch status {
        case INTEGRATION_NOT_FOUND.rawValue: reason = "not found"
        case INTEGRATION_INVALID_JSON.rawValue: reason = "the value is not valid JSON"
        case INTEGRATION_TYPE_MISMATCH.rawValue: reason = "the stored value is not a number"
        case INTEGRATION_QUOTA_EXCEEDED.rawValue: reason = "the storage quota (keys or bytes) would be exceeded"
        case INTEGRATION_INVALID_ARGUMENT.rawValue: reason = "invalid argument (an empty key?)"
        default: reason = "host status \(status)"
        }
        throw Failure(description: "storage \(operation) '\(key)': \(reason)")
    }
}
