#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import HTTPTypes
import JSON

/// Where a notification came from.
public enum Platform: String, Sendable, CaseIterable {
    case hipchat, slack, mattermost, teams, github, gitlab, generic
}

/// One incoming event, whatever platform sent it: what every integration kind sees.
public struct Notification: Sendable {
    /// A channel or room.
    public struct Channel: Sendable, Equatable {
        public var id: String
        public var name: String?
        public init(id: String, name: String? = nil) {
            self.id = id
            self.name = name
        }
    }

    /// Who sent the message or triggered the event.
    public struct Sender: Sendable, Equatable {
        public var id: String
        public var name: String?
        /// HipChat's @mention name, Slack's user_name, and the like.
        public var handle: String?
        public init(id: String, name: String? = nil, handle: String? = nil) {
            self.id = id
            self.name = name
            self.handle = handle
        }
    }

    public var platform: Platform
    public var team: String?
    public var channel: Channel?
    public var sender: Sender?
    /// The message text (for slash commands: the whole `/name query` line).
    public var text: String
    /// The slash-command name without its slash, when there is one.
    public var command: String?
    /// Where a late reply goes (Slack, Mattermost).
    public var responseURL: String?
    public var timestamp: Date?
    /// The event kind: HipChat `room_message`, GitHub `push`, and the like.
    public var event: String?
    public var headers: HTTPHeaders
    public var rawBody: [UInt8] {
        get {
            switch rawBodyStorage {
            case .bytes(let bytes): return bytes
            case .deferred(let deferred): return deferred.value
            }
        }
        set {
            rawBodyStorage = .bytes(newValue)
            payloadIsRawBody = false
        }
    }
    private var rawBodyStorage: RawBodyStorage
    /// The decoded body: the JSON document, or form fields as an object of strings. A JSON body is parsed on first
    /// use, so an integration that never reads it does not pay for building it.
    public var payload: JSONValue {
        get {
            switch payloadStorage {
            case .value(let value): return value
            case .body(let body): return body.value
            }
        }
        set {
            payloadStorage = .value(newValue)
            payloadIsRawBody = false
        }
    }
    private var payloadStorage: PayloadStorage
    /// Whether `payload` is exactly the JSON document that `rawBody` holds, so a writer may copy the body's bytes
    /// instead of serializing the payload again (the plugin request does). Changing either clears it.
    public private(set) var payloadIsRawBody = false

    /// The header called `name`, compared without case; repeated fields joined with ", ".
    public func header(_ name: String) -> String? {
        let values = headers.values(for: name)
        return values.isEmpty ? nil : values.joined(separator: ", ")
    }

    /// The body as UTF-8 text (invalid bytes become U+FFFD).
    public var rawText: String { String(decoding: rawBody, as: UTF8.self) }

    /// Sets `rawBody` to `body` and `payload` to the JSON document it holds, as the host's JSON routes do. The body
    /// is checked now and parsed on first use of `payload`.
    public mutating func setJSONBody(_ body: [UInt8]) throws(JSONParseError) {
        _ = try JSONValue.pick(.none, from: body)
        setCheckedJSONBody(body)
    }

    /// `setJSONBody` for a body the caller has already checked is one JSON document (with `JSONValue.pick`).
    public mutating func setCheckedJSONBody(_ body: [UInt8]) {
        rawBody = body
        payloadStorage = .body(Notification.parsedOnFirstUse(body))
        payloadIsRawBody = true
    }

    /// Sets `payload` to the JSON document `document` holds, parsed on first use; `rawBody` is left as it is. For
    /// a reader that has already checked `document` is one JSON document (the plugin SDK, reading the request the
    /// host sent): a plugin that never reads the payload does not pay for building it.
    public mutating func setCheckedJSONPayload(_ document: [UInt8]) {
        payloadStorage = .body(Notification.parsedOnFirstUse(document))
        payloadIsRawBody = false
    }

    /// Sets `rawBody` to what `produce` returns, called on first use of `rawBody` (once, whichever copy of the
    /// notification asks first): for a reader that can tell where the body is but need not decode it unless asked
    /// (the plugin SDK: the body is a JSON string in the host's request).
    public mutating func setDeferredRawBody(_ produce: @escaping @Sendable () -> [UInt8]) {
        rawBodyStorage = .deferred(Deferred(produce))
        payloadIsRawBody = false
    }

    /// The typed HipChat view, for notifications that came as HipChat room_message.
    public var hipchat: HipChatMessage?
    /// What proved the sender, when the host verified one; `nil` for an unverified request.
    public var verifiedBy: SenderProof?

    public init(
        platform: Platform, team: String? = nil, channel: Channel? = nil, sender: Sender? = nil, text: String,
        command: String? = nil, responseURL: String? = nil, timestamp: Date? = nil, event: String? = nil,
        headers: HTTPHeaders = HTTPHeaders(), rawBody: [UInt8] = [], payload: JSONValue = .null,
        hipchat: HipChatMessage? = nil
    ) {
        self.platform = platform
        self.team = team
        self.channel = channel
        self.sender = sender
        self.text = text
        self.command = command
        self.responseURL = responseURL
        self.timestamp = timestamp
        self.event = event
        self.headers = headers
        self.rawBodyStorage = .bytes(rawBody)
        self.payloadStorage = .value(payload)
        self.hipchat = hipchat
    }
}

/// Where a notification's raw body comes from: bytes, or bytes made on first use.
private enum RawBodyStorage: Sendable {
    case bytes([UInt8])
    case deferred(Deferred<[UInt8]>)
}

/// Where a notification's payload comes from: a value, or a JSON body parsed on first use.
private enum PayloadStorage: Sendable {
    case value(JSONValue)
    case body(Deferred<JSONValue>)
}

extension Notification {
    /// The JSON document `body` holds, parsed when first asked for. `body` was checked to be one document when it
    /// was stored, so the parse succeeds; `null` would only stand in for an impossible failure.
    fileprivate static func parsedOnFirstUse(_ body: [UInt8]) -> Deferred<JSONValue> {
        Deferred { (try? JSONValue(parsing: body)) ?? .null }
    }
}

/// HipChat's `room_message` webhook, typed: what hipchat-integration's `notification` argument carried.
public struct HipChatMessage: Sendable, Equatable {
    public var senderID: Int
    public var senderName: String
    public var mentionName: String
    public var roomID: Int
    public var roomName: String
    public var message: String
    /// The message date as HipChat sent it (ISO 8601).
    public var date: String

    /// Why a body is not a HipChat room_message.
    public struct DecodingError: Error, CustomStringConvertible {
        public let description: String
        public init(description: String) { self.description = description }
    }

    /// The paths `init(picked:)` reads.
    public static let paths = JSONPaths([
        "event", "item.message.message", "item.message.date", "item.message.from.id", "item.message.from.name",
        "item.message.from.mention_name", "item.room.id", "item.room.name",
    ])

    public init(
        senderID: Int, senderName: String, mentionName: String, roomID: Int, roomName: String, message: String,
        date: String
    ) {
        self.senderID = senderID
        self.senderName = senderName
        self.mentionName = mentionName
        self.roomID = roomID
        self.roomName = roomName
        self.message = message
        self.date = date
    }

    /// Reads a room_message notification; `item.message.message` and `item.room.id` are required.
    public init(json: JSONValue) throws(DecodingError) {
        guard case .object = json else { throw DecodingError(description: "notification must be a JSON object") }
        try self.init { json.value(atPath: $0) }
    }

    /// Reads a room_message from the values `paths` picked out of a body.
    public init(picked: JSONPick) throws(DecodingError) {
        guard picked.rootKind == .object else { throw DecodingError(description: "notification must be a JSON object") }
        try self.init { picked[$0] }
    }

    private init(reading value: (String) -> JSONValue?) throws(DecodingError) {
        guard let text = value("item.message.message")?.stringValue else {
            throw DecodingError(description: "missing item.message.message")
        }
        guard let roomID = HipChatMessage.integer(value("item.room.id")) else {
            throw DecodingError(description: "missing or non-numeric item.room.id")
        }
        self.senderID = HipChatMessage.integer(value("item.message.from.id")) ?? 0
        self.senderName = value("item.message.from.name")?.stringValue ?? ""
        self.mentionName = value("item.message.from.mention_name")?.stringValue ?? ""
        self.roomID = roomID
        self.roomName = value("item.room.name")?.stringValue ?? ""
        self.message = text
        self.date = value("item.message.date")?.stringValue ?? ""
    }

    private static func integer(_ value: JSONValue?) -> Int? {
        if let n = value?.intValue { return n }
        if let s = value?.stringValue { return Int(s) }
        return nil
    }
}
