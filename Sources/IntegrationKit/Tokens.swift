import JSON

/// The tokens given to the host on its command line: global `NAME:VALUE` ones and per-room
/// `ROOM:INTEGRATION:VALUE` ones. Never log their values.
public struct Tokens: Sendable, Equatable {
    /// A token for one integration in one room.
    public struct RoomToken: Sendable, Equatable {
        public var room: String
        public var integration: String
        public var value: String
    }

    /// Global tokens by name.
    public var global: [String: String]
    /// Per-room tokens.
    public var rooms: [RoomToken]

    /// The global token called `name`.
    public subscript(name: String) -> String? { global[name] }

    /// The token for `integration` in `room`.
    public func token(room: String, integration: String) -> String? {
        rooms.first { $0.room == room && $0.integration == integration }?.value
    }

    init(json: JSONValue) {
        global = json["global"]?.objectValue?.compactMapValues(\.stringValue) ?? [:]
        rooms = (json["rooms"]?.arrayValue ?? []).compactMap { entry in
            guard let room = entry["room"]?.stringValue, let integration = entry["integration"]?.stringValue,
                let value = entry["value"]?.stringValue
            else { return nil }
            return RoomToken(room: room, integration: integration, value: value)
        }
    }
}
