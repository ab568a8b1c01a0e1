import JSON

extension Tokens {
    /// The global token called `name`.
    public subscript(name: String) -> String? { global[name] }

    /// These tokens without the global ones `isExcluded` names (the host's own settings and admin token).
    public func removingGlobals(where isExcluded: (String) -> Bool) -> Tokens {
        var copy = self
        copy.global = global.filter { !isExcluded($0.key) }
        return copy
    }

    /// The tokens as a plugin's request carries them:
    /// `{"global": {"NAME": "VALUE"}, "rooms": [{"room": "1234", "integration": "deploy", "value": "…"}]}`.
    public var jsonValue: JSONValue {
        .object([
            "global": .object(global.mapValues(JSONValue.string)),
            "rooms": .array(rooms.map { .object(["room": .string($0.room), "integration": .string($0.integration),
                "value": .string($0.value)]) }),
        ])
    }

    /// Reads what `jsonValue` writes; malformed entries are skipped.
    public init(json: JSONValue) {
        self.init()
        global = json["global"]?.objectValue?.compactMapValues(\.stringValue) ?? [:]
        rooms = (json["rooms"]?.arrayValue ?? []).compactMap { entry in
            guard let room = entry["room"]?.stringValue, let integration = entry["integration"]?.stringValue,
                let value = entry["value"]?.stringValue
            else { return nil }
            return RoomToken(room: room, integration: integration, value: value)
        }
    }
}
