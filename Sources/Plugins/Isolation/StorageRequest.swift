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

/// One call's storage as the host serves it to a worker: answers the worker's storage frames against the plugin's
/// namespace, applies its posted writes within the room the call's prelude granted, and notes the keys it reads
/// for the next calls' preludes.
final class ServedStorage: Sendable {
    /// What a storage frame comes to.
    enum Served {
        case answer([UInt8])
        /// A posted write, applied; it gets no answer.
        case posted
        /// The worker posted what it had no room for, or something other than a `set`.
        case violation(String)
    }

    let storage: any IntegrationStorage
    private let prefetched: PrefetchedKeys
    private let room: Mutex<StorageRoom>

    init(storage: any IntegrationStorage, prefetched: PrefetchedKeys, room: StorageRoom) {
        self.storage = storage
        self.prefetched = prefetched
        self.room = Mutex(room)
    }

    func serve(_ payload: [UInt8]) -> Served {
        let request = (try? JSONValue(parsing: payload)) ?? .null
        if request["posted"] == .bool(true) {
            guard request["op"] == "set", let key = request["key"]?.stringValue, !key.isEmpty, let value = request["value"]
            else { return .violation("a posted storage frame that is not a set") }
            guard room.withLock({ $0.take(StorageRoom.weight(key, value)) }) else {
                return .violation("a posted set past the room its call was given")
            }
            storage.setGranted(key, value)
            return .posted
        }
        if request["op"] == "get", let key = request["key"]?.stringValue { prefetched.note(key) }
        return .answer(StorageRequest.answer(request, storage: storage).serializedBytes())
    }

    /// The keys of the call's prelude it never read: not sent ahead any more.
    func callEnded(unread: [String]) { prefetched.drop(unread) }
}

/// A plugin's storage as the worker sees it during one call: an operation is a `storage` frame to the host that
/// waits for the answer, so the values stay in the host and its atomic operations stay atomic across workers —
/// except that
/// - the first `get` of a key the call's prelude carries is answered from it (the value when the call was sent;
///   a key this call wrote since is asked for again), and
/// - a `set` that fits in the prelude's room is posted: it goes out with the call's next frame, and the host
///   applies it in order, so every later operation of the call sees it.
/// Calls from several plugin threads are serialized. If the host is gone the worker has nothing left to do and
/// exits.
final class RemoteStorage: IntegrationStorage {
    private let channel: PluginChannel
    private let state: Mutex<CallPrelude>

    init(channel: PluginChannel, prelude: CallPrelude = CallPrelude()) {
        self.channel = channel
        self.state = Mutex(prelude)
    }

    func get(_ key: String) -> JSONValue? {
        if let known = state.withLock({ $0.values.removeValue(forKey: key) }) { return known }
        return call(["op": "get", "key": .string(key)])["value"]
    }

    func set(_ key: String, _ value: JSONValue) throws(StorageError) {
        let posted = state.withLock { prelude in
            prelude.values[key] = nil
            guard prelude.room.take(StorageRoom.weight(key, value)) else { return false }
            let write: JSONValue = ["op": "set", "key": .string(key), "value": value, "posted": true]
            do {
                try channel.send(.storage, write.serializedBytes())
            } catch {
                PluginWorker.exit("the host is gone (\(error))")
            }
            return true
        }
        if !posted { try RemoteStorage.check(call(["op": "set", "key": .string(key), "value": value])) }
    }

    func delete(_ key: String) -> Bool {
        forget(key)
        return call(["op": "delete", "key": .string(key)])["deleted"]?.boolValue ?? false
    }

    func keys() -> [String] { call(["op": "keys"])["keys"]?.arrayValue?.compactMap(\.stringValue) ?? [] }

    func increment(_ key: String, by delta: Double) throws(StorageError) -> Double {
        forget(key)
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
        forget(key)
        var request: [String: JSONValue] = ["op": "cas", "key": .string(key)]
        request["expected"] = expected
        request["new"] = new
        let answer = call(.object(request))
        try RemoteStorage.check(answer)
        return answer["swapped"]?.boolValue ?? false
    }

    /// A key this call writes is read from the host from now on.
    private func forget(_ key: String) { state.withLock { _ = $0.values.removeValue(forKey: key) } }

    /// The keys the prelude carried that the call neither read nor wrote.
    var unread: [String] { state.withLock { $0.values.keys.sorted() } }

    /// Throws the error an answer carries (`StorageRequest.failure`).
    private static func check(_ answer: JSONValue) throws(StorageError) {
        guard let message = answer["error"]?.stringValue else { return }
        throw StorageError(answer["quota"]?.boolValue == true ? .quota : .typeMismatch, description: message)
    }

    private func call(_ request: JSONValue) -> JSONValue {
        state.withLock { _ in
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
