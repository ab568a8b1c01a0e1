import JSON

/// One incoming event, whatever platform sent it.
public struct Notification: Sendable {
    /// Where a notification came from.
    public enum Platform: String, Sendable, CaseIterable {
        case hipchat, slack, mattermost, teams, github, gitlab, generic
    }

    /// A channel or room.
    public struct Channel: Sendable, Equatable {
        public var id: String
        public var name: String?
    }

    /// Who sent the message or triggered the event.
    public struct Sender: Sendable, Equatable {
        public var id: String
        public var name: String?
        /// HipChat's @mention name, Slack's user_name, and the like.
        public var handle: String?
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
    /// When the platform says the event happened, as ISO 8601 in UTC (`2023-11-14T22:13:20Z`).
    public var timestamp: String?
    /// The event kind: HipChat `room_message`, GitHub `push`, and the like.
    public var event: String?
    /// The request's headers: names lowercased, repeated fields joined with ", ".
    public var headers: [String: String]
    /// The body as text.
    public var rawBody: String
    /// The decoded body: the JSON document, or form fields as an object of strings.
    public var payload: JSONValue
    /// The typed HipChat view, for HipChat room_message notifications.
    public var hipchat: HipChatMessage?

    /// The header called `name`, compared without case.
    public func header(_ name: String) -> String? { headers[name.lowercased()] }

    init(json: JSONValue) throws(RequestError) {
        guard case .object(let members) = json else { throw RequestError("the notification is not a JSON object") }
        platform = members["platform"]?.stringValue.flatMap(Platform.init(rawValue:)) ?? .generic
        team = members["team"]?.stringValue
        if let channel = members["channel"], let id = channel["id"]?.stringValue {
            self.channel = Channel(id: id, name: channel["name"]?.stringValue)
        }
        if let sender = members["sender"], let id = sender["id"]?.stringValue {
            self.sender = Sender(id: id, name: sender["name"]?.stringValue, handle: sender["handle"]?.stringValue)
        }
        text = members["text"]?.stringValue ?? ""
        command = members["command"]?.stringValue
        responseURL = members["response_url"]?.stringValue
        timestamp = members["timestamp"]?.stringValue
        event = members["event"]?.stringValue
        headers = members["headers"]?.objectValue?.compactMapValues(\.stringValue) ?? [:]
        rawBody = members["raw_body"]?.stringValue ?? ""
        payload = members["payload"] ?? .null
        if let hipchat = members["hipchat"], case .object = hipchat {
            self.hipchat = HipChatMessage(json: hipchat, raw: payload)
        }
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

    init(json: JSONValue, raw: JSONValue) {
        senderID = json["sender_id"]?.intValue ?? 0
        senderName = json["sender_name"]?.stringValue ?? ""
        mentionName = json["mention_name"]?.stringValue ?? ""
        roomID = json["room_id"]?.intValue ?? 0
        roomName = json["room_name"]?.stringValue ?? ""
        message = json["message"]?.stringValue ?? ""
        date = json["date"]?.stringValue ?? ""
        self.raw = raw
    }
}
