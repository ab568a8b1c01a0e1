import Foundation
import HTTPServer
import IntegrationContract
import JSON

/// Slack's interactivity requests on `POST /slack`: a button or menu in a message (`block_actions`, legacy
/// `interactive_message`), a shortcut (`shortcut`, `message_action`) or a modal's submit (`view_submission`), sent
/// as a form whose one field `payload` holds the JSON document
/// (https://api.slack.com/interactivity/handling#payloads). Slack wants a 200 within 3 s and shows the user an
/// error otherwise, so the request is acked at once and the reply goes to its `response_url` (else through the
/// Web API with the bot token).
///
/// Which integration answers is named by the element, as a slash command names it: an `action_id` (or
/// `callback_id`) `NAME` or `NAME:anything` runs `NAME` with the action's value as the query. An element that names
/// no loaded integration, and every other interaction type, is acknowledged with an empty 200 and runs nothing.
extension SlackAdapter {
    /// A decoded interaction: what to run, with what query and which event name.
    struct Interaction {
        var command: String
        var query: String
        var type: String
        var payload: JSONValue
    }

    /// The interaction `request` carries, if its body is a form whose `payload` is an interaction document.
    /// Every `/slack` request asks, so a slash command (whose form starts with other fields) is told apart by its
    /// first bytes, without decoding its form once more.
    static func interactionPayload(_ request: HTTPRequest) -> JSONValue? {
        guard request.body.starts(with: "payload=".utf8),
            MediaType(request.headers["Content-Type"]).is("application/x-www-form-urlencoded")
        else { return nil }
        let fields = request.formFields
        guard fields.count == 1, let field = fields.first, field.name == "payload",
            let document = try? JSONValue(parsing: Array(field.value.utf8)), document["type"]?.stringValue != nil
        else { return nil }
        return document
    }

    /// The command and query an interaction names; `nil` for types the host does not run and elements whose id
    /// names no valid integration.
    static func interaction(in payload: JSONValue) -> Interaction? {
        guard let type = payload["type"]?.stringValue else { return nil }
        let element: (id: String?, value: String?)
        switch type {
        case "block_actions":
            let action = payload["actions"]?.arrayValue?.first
            element = (action?["action_id"]?.stringValue, action.flatMap(actionValue))
        case "interactive_message":
            let action = payload["actions"]?.arrayValue?.first
            element = (payload["callback_id"]?.stringValue, action.flatMap(actionValue))
        case "shortcut":
            element = (payload["callback_id"]?.stringValue, nil)
        case "message_action":
            element = (payload["callback_id"]?.stringValue, payload["message"]?["text"]?.stringValue)
        case "view_submission":
            element = (payload["view"]?["callback_id"]?.stringValue, payload["view"]?["private_metadata"]?.stringValue)
        default:
            return nil
        }
        guard let id = element.id, let name = CommandName.parse(String(id.prefix { $0 != ":" })) else { return nil }
        return Interaction(command: name, query: element.value ?? "", type: type, payload: payload)
    }

    /// A button's `value`, a menu's selected option, or a date/time picker's choice.
    private static func actionValue(_ action: JSONValue) -> String? {
        action["value"]?.stringValue
            ?? action["selected_option"]?["value"]?.stringValue
            ?? action["selected_options"]?.arrayValue?.first?["value"]?.stringValue
            ?? action["selected_user"]?.stringValue
            ?? action["selected_channel"]?.stringValue
            ?? action["selected_conversation"]?.stringValue
            ?? action["selected_date"]?.stringValue
            ?? action["selected_time"]?.stringValue
    }

    func decodeInteraction(_ interaction: Interaction, request: HTTPRequest) -> PlatformEvent {
        let payload = interaction.payload
        let user = payload["user"]
        let channelID = payload["channel"]?["id"]?.stringValue ?? payload["container"]?["channel_id"]?.stringValue
        let responseURL =
            payload["response_url"]?.stringValue
            ?? payload["response_urls"]?.arrayValue?.first?["response_url"]?.stringValue
        let text = interaction.query.isEmpty ? interaction.command : "\(interaction.command) \(interaction.query)"
        let notification = Notification(
            platform: .slack, team: payload["team"]?["id"]?.stringValue,
            channel: channelID.map { Notification.Channel(id: $0, name: payload["channel"]?["name"]?.stringValue) },
            sender: user?["id"]?.stringValue.map {
                Notification.Sender(
                    id: $0, name: user?["name"]?.stringValue ?? user?["username"]?.stringValue,
                    handle: user?["username"]?.stringValue)
            },
            text: text, command: interaction.command, responseURL: responseURL,
            timestamp: nil, event: interaction.type, headers: request.headers, rawBody: request.body, payload: payload)
        let trigger = payload["trigger_id"]?.stringValue.flatMap { $0.isEmpty ? nil : "slack:trigger:\($0)" }
        return PlatformEvent(
            notification: notification, target: .command(interaction.command), query: interaction.query,
            deliveryID: trigger ?? SlackAdapter.deliveryID(request, fields: .object([:])), repliesInline: false)
    }
}
