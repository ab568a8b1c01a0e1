import HTTPServer
import JSON

/// What an integration answers. Each platform renders it in its own format; fields a platform has no use for are
/// ignored there.
public struct Reply: Sendable, Equatable {
    /// Who sees a chat reply (Slack and Mattermost `response_type`).
    public enum Visibility: String, Sendable {
        case ephemeral
        case inChannel = "in_channel"
    }

    public var text: String
    /// HipChat's message color (yellow, green, red, purple, gray, random).
    public var color: String?
    /// Whether HipChat should notify the room's users.
    public var notify: Bool
    public var visibility: Visibility
    /// A platform-specific JSON body sent as it is, instead of rendering `text`.
    public var json: JSONValue?
    /// For generic webhooks: the status to answer with (default 200).
    public var status: Int?
    /// For generic webhooks: extra response headers.
    public var headers: [Header]

    /// One response header.
    public struct Header: Sendable, Equatable {
        public var name: String
        public var value: String
        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    public init(
        text: String, color: String? = nil, notify: Bool = false, visibility: Visibility = .inChannel,
        json: JSONValue? = nil, status: Int? = nil, headers: [Header] = []
    ) {
        self.text = text
        self.color = color
        self.notify = notify
        self.visibility = visibility
        self.json = json
        self.status = status
        self.headers = headers
    }
}
