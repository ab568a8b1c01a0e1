import IntegrationContract
import JSON
import Synchronization

/// All integrations' storage: one namespace of JSON values per integration name. Thread-safe; each namespace
/// has its own lock, so integrations never wait on each other. Each namespace is held to `quota`: a write past it
/// fails with a clear error and changes nothing.
public final class Storage: Sendable {
    private let namespaces = Mutex<[String: NamespaceState]>([:])
    private let generation = Atomic<Int>(0)
    public let quota: StorageQuota

    public init(quota: StorageQuota = .standard) {
        self.quota = quota
    }

    /// The namespace of `integration`, created on first use.
    public func namespace(_ integration: String) -> StorageNamespace {
        StorageNamespace(name: integration, state: state(for: integration), storage: self)
    }

    private func state(for name: String) -> NamespaceState {
        namespaces.withLock { all in
            if let existing = all[name] { return existing }
            let created = NamespaceState()
            all[name] = created
            return created
        }
    }

    /// Grows on every change; the autosaver compares it to the value it last saved.
    public var changeCount: Int { generation.load(ordering: .acquiring) }

    func noteChange() { generation.add(1, ordering: .releasing) }

    /// A copy of everything: integration name → its key/value object. Empty namespaces are left out.
    public func snapshot() -> [String: [String: JSONValue]] {
        let states = namespaces.withLock { $0 }
        var result: [String: [String: JSONValue]] = [:]
        for (name, state) in states {
            let values = state.contents.withLock { $0.values }
            if !values.isEmpty { result[name] = values }
        }
        return result
    }

    /// How much each integration stores: keys, and bytes as the quota weighs them. Empty namespaces are left out.
    public func usage() -> [(integration: String, keys: Int, bytes: Int)] {
        let states = namespaces.withLock { $0 }
        return states.keys.sorted().compactMap { name in
            let (keys, bytes) = states[name]!.contents.withLock { ($0.values.count, $0.bytes) }
            return keys == 0 ? nil : (name, keys, bytes)
        }
    }

    /// Replaces everything with `contents`; namespaces not in it become empty.
    public func replaceAll(with contents: [String: [String: JSONValue]]) {
        namespaces.withLock { all in
            for (name, state) in all where contents[name] == nil {
                state.contents.withLock { $0 = NamespaceState.Contents() }
            }
            for (name, values) in contents {
                let state = all[name] ?? NamespaceState()
                all[name] = state
                state.contents.withLock { $0 = NamespaceState.Contents(values) }
            }
        }
        noteChange()
    }

    /// Empties every namespace.
    public func eraseAll() { replaceAll(with: [:]) }
}

/// How much one integration may store (`--storage-keys`, `--storage-mib`).
public struct StorageQuota: Sendable, Equatable {
    public var maxKeys: Int
    /// Keys and their values as JSON text, summed.
    public var maxBytes: Int

    public init(maxKeys: Int, maxBytes: Int) {
        self.maxKeys = maxKeys
        self.maxBytes = maxBytes
    }

    public static let standard = StorageQuota(maxKeys: 10_000, maxBytes: 16 << 20)
}

final class NamespaceState: Sendable {
    /// The values and what they weigh, kept in step under one lock.
    struct Contents {
        var values: [String: JSONValue] = [:]
        /// Sum of every key's UTF-8 length and its value's JSON length.
        var bytes = 0

        init() {}

        /// Contents loaded whole (an admin `load`): weighed, not held to the quota.
        init(_ values: [String: JSONValue]) {
            self.values = values
            bytes = values.reduce(0) { $0 + StorageRoom.weight($1.key, $1.value) }
        }

        /// Stores `value` at `key` if the namespace stays within `quota`, or the value weighs no more than the one
        /// it replaces (a namespace an admin `load` put over its quota can still shrink); else throws and changes
        /// nothing. Without a quota it stores past it: a write whose room was granted ahead (`setGranted`).
        mutating func store(_ key: String, _ value: JSONValue?, quota: StorageQuota?) throws(StorageError) {
            let old = values[key].map { StorageRoom.weight(key, $0) } ?? 0
            guard let value else {
                values[key] = nil
                bytes -= old
                return
            }
            let new = StorageRoom.weight(key, value)
            if let quota {
                if values[key] == nil, values.count >= quota.maxKeys {
                    throw StorageError(.quota, description: "storage quota: at most \(quota.maxKeys) keys")
                }
                guard new <= old || bytes - old + new <= quota.maxBytes else {
                    throw StorageError(.quota, description: "storage quota: at most \(quota.maxBytes >> 10) KiB of keys and values")
                }
            }
            values[key] = value
            bytes += new - old
        }
    }

    let contents = Mutex(Contents())
}
