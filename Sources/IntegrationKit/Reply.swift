import JSON

/// What an integration answers. Each platform renders it in its own format and ignores what it has no use for.
public struct Reply: Sendable, Equatable {
    /// Who sees a chat reply (Slack and Mattermost).
    public enum Visibility: String, Sendable {
        case ephemeral
        case inChannel = "in_channel"
    }

    /// HipChat's message colors.
    public enum Color: String, Sendable {
        case yellow, green, red, purple, gray, random
    }

    public var text: String
    public var color: Color?
    /// Whether HipChat should notify the room's users.
    public var notify: Bool
    public var visibility: Visibility
    /// A platform-specific JSON body sent as it is instead of rendering `text`.
    public var json: JSONValue?
    /// For generic webhooks: the HTTP status (default 200).
    public var status: Int?
    /// For generic webhooks: extra response headers.
    public var headers: [String: String]

    public init(
        _ text: String, color: Color? = nil, notify: Bool = false, visibility: Visibility = .inChannel,
        json: JSONValue? = nil, status: Int? = nil, headers: [String: String] = [:]
    ) {
        self.text = text
        self.color = color
        self.notify = notify
        self.visibility = visibility
        self.json = json
        self.status = status
        self.headers = headers
    }

    /// The `options_json` argument of `host_api.reply`, or `nil` when every option has its default.
    var optionsJSON: [UInt8]? {
        var options: [String: JSONValue] = [:]
        if let color { options["color"] = .string(color.rawValue) }
        if notify { options["notify"] = .bool(true) }
        if visibility != .inChannel { options["visibility"] = .string(visibility.rawValue) }
        if let json { options["json"] = json }
        if let status { options["status"] = .number(Double(status)) }
        if !headers.isEmpty { options["headers"] = .object(headers.mapValues(JSONValue.string)) }
        return options.isEmpty ? nil : JSONValue.object(options).serializedBytes()
    }
}
