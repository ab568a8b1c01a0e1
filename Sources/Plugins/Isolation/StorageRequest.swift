import IntegrationContract
import JSON
import Synchronization

/// A storage operation as it crosses the worker's socket: the worker's `RemoteStorage` writes these, the host runs
/// them against the plugin's namespace with `answer(_:storage:)`.
///
///     {"op": "get", "key": K}                        → {"value": V} or {}
///     {"op": "set", "key": K, "value": V}            → {}
///     {"op": "delete", "key": K}                     → {"deleted": true | false}
///     {"op": "keys"}                                 → {"keys": [K, ...]}
///     {"op": "increment", "key": K, "delta": D}      → {"value": N} or {"error": "..."}
///     {"op": "cas", "key": K, "expected"?: V, "new"?: V}  → {"swapped": true | false}   (a member left out: absent)
enum StorageRequest {
    /// Runs one operation; a malformed one answers `{"error": …}` and changes nothing.
    static func answer(_ request: JSONValue, storage: any IntegrationStorage) -> JSONValue {
        guard let op = request["op"]?.stringValue else { return ["error": "no op"] }
        if op == "keys" { return ["keys": .array(storage.keys().map(JSONValue.string))] }
        guard let key = request["key"]?.stringValue, !key.isEmpty else { return ["error": "no key"] }
        switch op {
        case "get":
            return storage.get(key).map { ["value": $0] } ?? [:]
        case "set":
            guard let value = request["value"] else { return ["error": "no value"] }
            do {
                try storage.set(key, value)
                return [:]
            } catch {
                return StorageRequest.failure(error)
            }
        case "delete":
            return ["deleted": .bool(storage.delete(key))]
        case "increment":
            guard let delta = request["delta"]?.doubleValue, delta.isFinite else { return ["error": "no delta"] }
            do {
                return ["value": .number(try storage.increment(key, by: delta))]
            } catch {
                return StorageRequest.failure(error)
            }
        case "cas":
            do {
                return ["swapped": .bool(try storage.compareAndSet(key, expected: request["expected"], new: request["new"]))]
            } catch {
                return StorageRequest.failure(error)
            }
        default:
            return ["error": .string("unknown op \(op.prefix(20))")]
        }
    }

    /// A refused operation's answer: `{"error": "...", "quota": true}` when the quota refused it.
    static func failure(_ error: StorageError) -> JSONValue {
        ["error": .string(error.description), "quota": .bool(error.reason == .quota)]
    }
}

/// A plugin's storage as the worker sees it: every operation is a `storage` frame to the host and waits for the
/// answer, so the values stay in the host and its atomic operations stay atomic across workers. Calls from several
/// plugin threads are serialized. If the host is gone the worker has nothing left to do and exits.
final class RemoteStorage: IntegrationStorage {
    private let channel: PluginChannel
    private let exchange = Mutex(())

    init(channel: PluginChannel) { self.channel = channel }

    func get(_ key: String) -> JSONValue? { call(["op": "get", "key": .string(key)])["value"] }

    func set(_ key: String, _ value: JSONValue) throws(StorageError) {
        try RemoteStorage.check(call(["op": "set", "key": .string(key), "value": value]))
    }

    func delete(_ key: String) -> Bool { call(["op": "delete", "key": .string(key)])["deleted"]?.boolValue ?? false }

    func keys() -> [String] { call(["op": "keys"])["keys"]?.arrayValue?.compactMap(\.stringValue) ?? [] }

    func increment(_ key: String, by delta: Double) throws(StorageError) -> Double {
        let answer = call(["op": "increment", "key": .string(key), "delta": .number(delta)])
        try RemoteStorage.check(answer)
        guard let value = answer["value"]?.doubleValue else { throw StorageError(description: "increment failed") }
        return value
    }

    func append(_ key: String, _ element: JSONValue) throws(StorageError) -> Int {
        throw StorageError(description: "append is not part of the plugin ABI")
    }

    func removeElement(_ key: String, at index: Int) throws(StorageError) -> ListRemoval {
        throw StorageError(description: "removing list elements is not part of the plugin ABI")
    }

    func removeElement(_ key: String, equalTo element: JSONValue) throws(StorageError) -> ListRemoval {
        throw StorageError(description: "removing list elements is not part of the plugin ABI")
    }

    func compareAndSet(_ key: String, expected: JSONValue?, new: JSONValue?) throws(StorageError) -> Bool {
        var request: [String: JSONValue] = ["op": "cas", "key": .string(key)]
        request["expected"] = expected
        request["new"] = new
        let answer = call(.object(request))
        try RemoteStorage.check(answer)
        return answer["swapped"]?.boolValue ?? false
    }

    /// Throws the error an answer carries (`StorageRequest.failure`).
    private static func check(_ answer: JSONValue) throws(StorageError) {
        guard let message = answer["error"]?.stringValue else { return }
        throw StorageError(answer["quota"]?.boolValue == true ? .quota : .typeMismatch, description: message)
    }

    private func call(_ request: JSONValue) -> JSONValue {
        exchange.withLock { _ in
            do {
                try channel.send(.storage, request.serializedBytes())
                let frame = try channel.receive()
                guard frame.kind == .storageResult, let answer = try? JSONValue(parsing: frame.payload) else {
                    PluginWorker.exit("the host sent a \(frame.kind) frame where a storage answer belongs")
                }
                return answer
            } catch {
                PluginWorker.exit("the host is gone (\(error))")
            }
        }
    }
}
