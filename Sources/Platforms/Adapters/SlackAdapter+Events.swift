import Foundation
import HTTPServer
import IntegrationContract
import JSON

/// Slack's Events API on `POST /slack`: the `url_verification` challenge, and `app_mention` / direct `message`
/// events whose first word (after the bot's mention) names a command: `@bot deploy prod` runs `deploy` with the
/// query `prod`. Slack ignores the HTTP answer's body and retries unanswered events with `X-Slack-Retry-Num`, so
/// the event is acked at once, deduplicated by `event_id`, and the reply goes through `chat.postMessage` with the
/// integration's bot token.
extension SlackAdapter {
    static func isEventsAPI(_ request: HTTPRequest) -> Bool {
        MediaType(request.headers["Content-Type"]).is("application/json")
    }

    public func handshake(_ request: HTTPRequest) -> HTTPResponse? {
        if let interaction = SlackAdapter.interactionPayload(request) {
            // An interaction the host does not run is still acknowledged: Slack shows the user an error otherwise.
            return SlackAdapter.interaction(in: interaction) == nil ? HTTPResponse(status: .ok) : nil
        }
        guard SlackAdapter.isEventsAPI(request) else { return nil }
        guard let payload = try? request.jsonBody() else { return .error(IntegrationError.badRequest("body is not valid JSON")) }
        switch payload["type"]?.stringValue {
        case "url_verification":
            return ReplyFormat.jsonResponse(["challenge": payload["challenge"] ?? ""])
        case "event_callback" where SlackAdapter.command(in: payload) != nil:
            return nil
        default:
            return HTTPResponse(status: .ok)  // events for nobody, bots' own messages: acknowledged, nothing runs
        }
    }

    func decodeEventCallback(_ request: HTTPRequest) throws(IntegrationError) -> PlatformEvent {
        guard let payload = try? request.jsonBody(), let (command, query, text) = SlackAdapter.command(in: payload) else {
            throw IntegrationError.badRequest("not a Slack event addressed to a command")
        }
        let event = payload["event"]
        let notification = Notification(
            platform: .slack, team: payload["team_id"]?.stringValue,
            channel: event?["channel"]?.stringValue.map { Notification.Channel(id: $0) },
            sender: event?["user"]?.stringValue.map { Notification.Sender(id: $0) },
            text: text, command: command, responseURL: nil,
            timestamp: (event?["ts"]?.stringValue).flatMap(TimeInterval.init).map { Date(timeIntervalSince1970: $0) },
            event: event?["type"]?.stringValue, headers: request.headers, rawBody: request.body, payload: payload)
        return PlatformEvent(
            notification: notification, target: .command(command), query: query,
            deliveryID: payload["event_id"]?.stringValue.map { "slack:event:\($0)" }, repliesInline: false)
    }

    /// The command, query and plain text of an actionable event; `nil` for anything else (other event types,
    /// messages with a subtype or from bots, text whose first word is not a valid name).
    static func command(in payload: JSONValue) -> (command: String, query: String, text: String)? {
        guard payload["type"]?.stringValue == "event_callback", let event = payload["event"],
            event["bot_id"] == nil, event["subtype"] == nil, let raw = event["text"]?.stringValue
        else { return nil }
        switch event["type"]?.stringValue {
        case "app_mention": break
        case "message" where event["channel_type"]?.stringValue == "im": break
        default: return nil
        }
        var text = Substring(raw).drop(while: \.isWhitespace)
        while text.hasPrefix("<@"), let close = text.firstIndex(of: ">") {
            text = text[text.index(after: close)...].drop(while: \.isWhitespace)
        }
        let words = text.split(maxSplits: 1, whereSeparator: \.isWhitespace)
        guard let first = words.first, let name = CommandName.parse(String(first)) else { return nil }
        let query = words.count > 1 ? words[1].trimmingCharacters(in: .whitespacesAndNewlines) : ""
        return (name, query, String(text))
    }
}
