import IntegrationContract
import JSON
import Synchronization

/// What the host sends a worker just before a call (the `prelude` frame), so the call needs fewer storage round
/// trips: the values of the keys the plugin read in its recent calls, as they were when the call was sent, and room
/// for writes that need not wait for their answer.
///
///     {"values": {K: V, ...}, "absent": [K, ...], "room": {"bytes": B, "keys": N}}
struct CallPrelude: Sendable, Equatable {
    /// Key → its value when the call was sent, or nil for a key that was absent then.
    var values: [String: JSONValue?] = [:]
    var room = StorageRoom.none

    var isEmpty: Bool { values.isEmpty && room == .none }

    var jsonValue: JSONValue {
        var present: [String: JSONValue] = [:]
        var absent: [JSONValue] = []
        for (key, value) in values {
            if let value { present[key] = value } else { absent.append(.string(key)) }
        }
        return [
            "values": .object(present), "absent": .array(absent),
            "room": ["bytes": .number(Double(room.bytes)), "keys": .number(Double(room.keys))],
        ]
    }

    /// The prelude a frame carries; members it lacks or cannot use are left empty.
    init(json: JSONValue) {
        if case .object(let present)? = json["values"] {
            for (key, value) in present { values[key] = .some(value) }
        }
        for key in json["absent"]?.arrayValue ?? [] {
            if let key = key.stringValue { values[key] = .some(nil) }
        }
        if let bytes = json["room"]?["bytes"]?.intValue, let keys = json["room"]?["keys"]?.intValue, bytes >= 0, keys >= 0 {
            room = StorageRoom(keys: keys, bytes: bytes)
        }
    }

    init(values: [String: JSONValue?] = [:], room: StorageRoom = .none) {
        self.values = values
        self.room = room
    }
}

/// The room a call may write in without waiting for the host's answers: a `set` that fits is posted (sent without
/// waiting, never answered) and the host applies it in order, past the quota if writes of other calls took the room
/// meanwhile. Each posted `set` takes its weight and one key, whether or not the key existed; host and worker count
/// alike.
extension StorageRoom {
    /// What a call is given when its namespace has at least this much headroom; nothing otherwise.
    static let standard = StorageRoom(keys: 16, bytes: 64 << 10)

    /// The room a call gets from a namespace with `headroom`.
    static func granted(by headroom: StorageRoom) -> StorageRoom {
        headroom.bytes >= standard.bytes && headroom.keys >= standard.keys ? standard : .none
    }

    /// Takes room for one write of `weight` bytes, if there is enough.
    mutating func take(_ weight: Int) -> Bool {
        guard weight <= bytes, keys >= 1 else { return false }
        bytes -= weight
        keys -= 1
        return true
    }
}

/// The keys a plugin's calls read with `get` lately, the most recent `limit`: every call is sent their values in
/// its prelude, so a plugin that reads the same keys on each call (a counter's state, a last message) reads them
/// without a round trip. A key a call was sent and did not read is dropped (until a call reads it from the host
/// again), so a plugin whose reads vary is sent little it does not use.
final class PrefetchedKeys: Sendable {
    static let limit = 4
    /// Longer keys, and larger values, are not sent ahead.
    static let maxKeyBytes = 256
    static let maxValueBytes = 4 << 10

    private let keys = Mutex<[String]>([])

    /// Notes a key a call read from the host.
    func note(_ key: String) {
        guard key.utf8.count <= PrefetchedKeys.maxKeyBytes else { return }
        keys.withLock { keys in
            guard !keys.contains(key) else { return }
            keys.append(key)
            if keys.count > PrefetchedKeys.limit { keys.removeFirst() }
        }
    }

    /// Drops keys a call was sent and did not read.
    func drop(_ unread: [String]) {
        guard !unread.isEmpty else { return }
        keys.withLock { keys in keys.removeAll { unread.contains($0) } }
    }

    /// The prelude for a call that is about to be sent: the noted keys' values now (a value too large is left out,
    /// and its key dropped), and the room the namespace's headroom grants.
    func prelude(from storage: any IntegrationStorage) -> CallPrelude {
        var prelude = CallPrelude(room: StorageRoom.granted(by: storage.headroom()))
        var tooLarge: [String] = []
        for key in keys.withLock({ $0 }) {
            let value = storage.get(key)
            if let value, value.serializedCount(notOver: PrefetchedKeys.maxValueBytes) == nil {
                tooLarge.append(key)
                continue
            }
            prelude.values[key] = .some(value)
        }
        drop(tooLarge)
        return prelude
    }
}
