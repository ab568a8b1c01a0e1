import Foundation
import HTTPServer
import IntegrationContract
import JSON

/// The slash-command form Slack sends and Mattermost copies: `team_id`, `channel_id`/`channel_name`,
/// `user_id`/`user_name`, `text`, `response_url`.
enum SlashCommandForm {
    /// The notification for command `commandName` from the decoded form `fields`.
    static func notification(
        platform: Platform, commandName: String, fields: JSONValue, timestamp: Date?, request: HTTPRequest
    ) -> Notification {
        let text = fields["text"]?.stringValue ?? ""
        return Notification(
            platform: platform, team: fields["team_id"]?.stringValue,
            channel: fields["channel_id"]?.stringValue.map {
                Notification.Channel(id: $0, name: fields["channel_name"]?.stringValue)
            },
            sender: fields["user_id"]?.stringValue.map {
                Notification.Sender(id: $0, name: fields["user_name"]?.stringValue, handle: fields["user_name"]?.stringValue)
            },
            text: text.isEmpty ? "/\(commandName)" : "/\(commandName) \(text)", command: commandName,
            responseURL: fields["response_url"]?.stringValue, timestamp: timestamp, event: "slash_command",
            headers: request.headers, rawBody: request.body, payload: fields)
    }
}
