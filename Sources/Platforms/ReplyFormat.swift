import HTTPServer
import IntegrationContract
import JSON

/// Replies as each platform wants them. A reply with its own `json` is sent as it is, on every platform.
public enum ReplyFormat {
    /// Slack: `{"response_type": "ephemeral"|"in_channel", "text": …}`; ephemeral unless the reply says otherwise,
    /// as Slack's own default (https://api.slack.com/interactivity/slash-commands#responding_to_commands).
    public static func slack(_ reply: Reply) -> JSONValue {
        reply.json ?? ["response_type": .string((reply.visibility ?? .ephemeral).rawValue), "text": .string(reply.text)]
    }

    /// Mattermost: Slack's shape plus the poster's `username` and `icon_url` when configured; ephemeral unless the
    /// reply says otherwise, as Mattermost's own default.
    public static func mattermost(_ reply: Reply, username: String?, iconURL: String?) -> JSONValue {
        if let json = reply.json { return json }
        var object: [String: JSONValue] = [
            "response_type": .string((reply.visibility ?? .ephemeral).rawValue), "text": .string(reply.text),
        ]
        if let username { object["username"] = .string(username) }
        if let iconURL { object["icon_url"] = .string(iconURL) }
        return .object(object)
    }

    /// Microsoft Teams: `{"type": "message", "text": …}`.
    public static func teams(_ reply: Reply) -> JSONValue {
        reply.json ?? ["type": "message", "text": .string(reply.text)]
    }

    /// A JSON answer with status 200.
    static func jsonResponse(_ value: JSONValue) -> HTTPResponse {
        .json(.ok, bytes: value.serializedBytes())
    }

    /// Generic webhooks: the reply's JSON, else its text as `text/plain`, with the status and headers the
    /// integration chose. Statuses outside 200–599 become 500; framing headers are the server's and are dropped.
    public static func generic(_ reply: Reply?) -> HTTPResponse {
        guard let reply else { return HTTPResponse(status: .ok) }
        let status = reply.status.map { (200...599).contains($0) ? $0 : 500 } ?? 200
        var response: HTTPResponse
        if let json = reply.json {
            response = .json(HTTPStatus(status), bytes: json.serializedBytes())
        } else {
            response = HTTPResponse(status: HTTPStatus(status), contentType: "text/plain; charset=utf-8", body: reply.text)
        }
        for header in reply.headers where !framingHeaders.contains(header.name.lowercased()) {
            response.headers.set(header.name, header.value)
        }
        return response
    }

    private static let framingHeaders: Set<String> = ["content-length", "transfer-encoding", "connection", "date"]
}
