import Foundation
import HTTPServer
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
        didSet { payloadIsRawBody = false }
    }
    /// The decoded body: the JSON document, or form fields as an object of strings.
    public var payload: JSONValue {
        didSet { payloadIsRawBody = false }
    }
    /// Whether `payload` is exactly the JSON document that `rawBody` holds, so a writer may copy the body's bytes
    /// instead of serializing the payload again (the plugin request does). Changing either clears it.
    public internal(set) var payloadIsRawBody = false

    /// Sets `rawBody` to `body` and `payload` to the JSON document it holds, as the host's JSON routes do.
    public mutating func setJSONBody(_ body: [UInt8]) throws(JSONParseError) {
        let document = try JSONValue(parsing: body)
        rawBody = body
        payload = document
        payloadIsRawBody = true
    }
    /// The typed HipChat view, for notifications that came as HipChat room_message.
    public var hipchat: HipChatMessage?

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
        self.rawBody = rawBody
        self.payload = payload
        self.hipchat = hipchat
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
    /// The whole notification as received.
    public var raw: JSONValue

    /// Why a body is not a HipChat room_message.
    public struct DecodingError: Error, CustomStringConvertible {
        public let description: String
    }

    /// Reads a room_message notification; `item.message.message` and `item.room.id` are required.
    public init(json: JSONValue) throws(DecodingError) {
        guard case .object = json else { throw DecodingError(description: "notification must be a JSON object") }
        guard let message = json.value(atPath: "item.message")?.objectValue else {
            throw DecodingError(description: "missing item.message")
        }
        guard let text = message["message"]?.stringValue else {
            throw DecodingError(description: "missing item.message.message")
        }
        guard let room = json.value(atPath: "item.room"), let roomID = HipChatMessage.integer(room["id"]) else {
            throw DecodingError(description: "missing or non-numeric item.room.id")
        }
        let from = message["from"]
        self.senderID = HipChatMessage.integer(from?["id"]) ?? 0
        self.senderName = from?["name"]?.stringValue ?? ""
        self.mentionName = from?["mention_name"]?.stringValue ?? ""
        self.roomID = roomID
        self.roomName = room["name"]?.stringValue ?? ""
        self.message = text
        self.date = message["date"]?.stringValue ?? ""
        self.raw = json
    }

    private static func integer(_ value: JSONValue?) -> Int? {
        if let n = value?.intValue { return n }
        if let s = value?.stringValue { return Int(s) }
        return nil
    }
}
