import HTTPTypes
import JSON

/// What an integration answers. Each platform renders it in its own format and ignores what it has no use for.
public struct Reply: Sendable, Equatable {
    /// Who sees a chat reply (Slack and Mattermost `response_type`).
    public enum Visibility: String, Sendable {
        case ephemeral
        case inChannel = "in_channel"
    }

    /// HipChat's message colors.
    public enum Color: String, Sendable, CaseIterable {
        case yellow, green, red, purple, gray, random
    }

    public var text: String
    /// HipChat's message color; HipChat's own default (yellow) when `nil`.
    public var color: Color?
    /// Whether HipChat should notify the room's users.
    public var notify: Bool
    /// Who sees the reply; `nil` is the platform's own default: only the sender for a Slack or Mattermost slash
    /// command (their `response_type` defaults to ephemeral), the channel for a Slack mention.
    public var visibility: Visibility?
    /// A platform-specific JSON body sent as it is, instead of rendering `text`.
    public var json: JSONValue?
    /// For generic webhooks: the status to answer with (default 200).
    public var status: Int?
    /// For generic webhooks: extra response headers, in order (`["Cache-Control": "no-store"]`).
    public var headers: HTTPHeaders

    public init(
        _ text: String, color: Color? = nil, notify: Bool = false, visibility: Visibility? = nil,
        json: JSONValue? = nil, status: Int? = nil, headers: HTTPHeaders = [:]
    ) {
        self.text = text
        self.color = color
        self.notify = notify
        self.visibility = visibility
        self.json = json
        self.status = status
        self.headers = headers
    }

    public static func == (a: Reply, b: Reply) -> Bool {
        a.text == b.text && a.color == b.color && a.notify == b.notify && a.visibility == b.visibility
            && a.json == b.json && a.status == b.status
            && a.headers.elementsEqual(b.headers) { $0.name == $1.name && $0.value == $1.value }
    }
}
