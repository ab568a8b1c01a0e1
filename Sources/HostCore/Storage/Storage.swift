import IntegrationContract
import JSON
import Synchronization

/// All integrations' storage: one namespace of JSON values per integration name. Thread-safe; each namespace
/// has its own lock, so integrations never wait on each other.
public final class Storage: Sendable {
    private let namespaces = Mutex<[String: NamespaceState]>([:])
    private let generation = Atomic<Int>(0)

    public init() {}

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
            let values = state.values.withLock { $0 }
            if !values.isEmpty { result[name] = values }
        }
        return result
    }

    /// Replaces everything with `contents`; namespaces not in it become empty.
    public func replaceAll(with contents: [String: [String: JSONValue]]) {
        namespaces.withLock { all in
            for (name, state) in all where contents[name] == nil {
                state.values.withLock { $0.removeAll() }
            }
            for (name, values) in contents {
                let state = all[name] ?? NamespaceState()
                all[name] = state
                state.values.withLock { $0 = values }
            }
        }
        noteChange()
    }

    /// Empties every namespace.
    public func eraseAll() { replaceAll(with: [:]) }
}

final class NamespaceState: Sendable {
    let values = Mutex<[String: JSONValue]>([:])
}
