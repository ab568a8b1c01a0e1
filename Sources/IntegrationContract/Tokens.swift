/// The tokens given on the command line.
///
/// - `NAME:VALUE` is a global token. The name is `[A-Za-z0-9_.-]{1,64}` and not all digits; the value is
///   everything after the first `:`, so it may itself contain `:`.
/// - `ROOM:INTEGRATION:VALUE` belongs to one room and integration. ROOM is all digits (a HipChat room id); the
///   value is everything after the second `:`, so it may contain `:` too.
///
/// Values never appear in `description`, logs or error messages.
public struct Tokens: Sendable, Equatable, CustomStringConvertible {
    /// A token for one integration in one room.
    public struct RoomToken: Sendable, Equatable {
        public var room: String
        public var integration: String
        public var value: String

        public init(room: String, integration: String, value: String) {
            self.room = room
            self.integration = integration
            self.value = value
        }
    }

    public internal(set) var global: [String: String] = [:]
    public internal(set) var rooms: [RoomToken] = []

    public init() {}

    /// Why a token argument was refused. Never contains the token's value.
    public struct ParseError: Error, Equatable, CustomStringConvertible {
        public let description: String
        public init(description: String) { self.description = description }
    }

    /// Parses and adds each argument in turn.
    public init(parsing arguments: [String]) throws(ParseError) {
        for (position, argument) in arguments.enumerated() {
            try add(argument, position: position + 1)
        }
    }

    private mutating func add(_ argument: String, position: Int) throws(ParseError) {
        let parts = argument.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2 else {
            throw ParseError(description: "token #\(position) is malformed: expected NAME:VALUE or ROOM:INTEGRATION:VALUE")
        }
        let first = parts[0]
        if !first.isEmpty, first.allSatisfy(\.isASCIIDigit) {
            guard parts.count == 3 else {
                throw ParseError(
                    description: "token #\(position) (room \(first)) is malformed: expected ROOM:INTEGRATION:VALUE")
            }
            let integration = String(parts[1])
            guard IntegrationName.isValid(integration) else {
                throw ParseError(
                    description: "token #\(position) (room \(first)): integration name must match [A-Za-z0-9_-]{1,64}")
            }
            guard !parts[2].isEmpty else {
                throw ParseError(description: "token #\(position) (room \(first), \(integration)) has an empty value")
            }
            guard token(room: String(first), integration: integration) == nil else {
                throw ParseError(description: "duplicate token for room \(first) and integration \(integration)")
            }
            rooms.append(RoomToken(room: String(first), integration: integration, value: String(parts[2])))
            return
        }
        let name = String(first)
        guard Tokens.isValidName(name) else {
            throw ParseError(description: "token #\(position) is malformed: NAME must match [A-Za-z0-9_.-]{1,64}")
        }
        let value = argument.dropFirst(name.utf8.count + 1)
        guard !value.isEmpty else { throw ParseError(description: "token \(name) has an empty value") }
        guard global[name] == nil else { throw ParseError(description: "duplicate global token \(name)") }
        global[name] = String(value)
    }

    /// The room-specific token for `integration` in `room`, if configured.
    public func token(room: String, integration: String) -> String? {
        rooms.first { $0.room == room && $0.integration == integration }?.value
    }

    /// Every token value, for redacting logs.
    public var allValues: [String] { Array(global.values) + rooms.map(\.value) }

    public var description: String {
        "Tokens(global: \(global.keys.sorted()), rooms: \(rooms.map { "\($0.room):\($0.integration)" }))"
    }

    static func isValidName(_ name: String) -> Bool {
        guard (1...64).contains(name.utf8.count), !name.allSatisfy(\.isASCIIDigit) else { return false }
        return name.utf8.allSatisfy { IntegrationName.isNameByte($0, allowingDot: true) }
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
