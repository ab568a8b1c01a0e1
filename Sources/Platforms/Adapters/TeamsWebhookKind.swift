import Foundation
import IntegrationContract
import JSON

/// What kind of URL a late Teams reply goes to, and so the body it takes. Microsoft is retiring Office 365
/// connectors' incoming webhooks (`…webhook.office.com/…`, which take `{"text"}`) for Workflows (Power Automate)
/// URLs, whose "When a Teams webhook request is received" trigger expects a message with an Adaptive Card
/// attachment (https://learn.microsoft.com/en-us/microsoftteams/platform/webhooks-and-connectors/how-to/add-incoming-webhook).
public enum TeamsWebhookKind: String, Sendable {
    /// A Workflows URL: the reply as an Adaptive Card 1.4 with one wrapping text block.
    case workflows
    /// A connector's incoming webhook: `{"text": …}`.
    case connector

    /// The setting `teams_webhook_kind`'s value: `workflows` or `connector`; `nil` for anything else.
    public init?(setting: String) {
        self.init(rawValue: setting.trimmingCharacters(in: .whitespaces).lowercased())
    }

    /// The kind a URL says it is: Workflows for Power Automate's hosts (`*.logic.azure.com`,
    /// `*.powerplatform.com`) and any path with a `/workflows/` segment; a connector otherwise.
    public init(url: URL) {
        let host = url.host?.lowercased() ?? ""
        let workflowsHost = host.hasSuffix(".logic.azure.com") || host.hasSuffix(".powerplatform.com")
        self = workflowsHost || url.path.contains("/workflows/") ? .workflows : .connector
    }

    /// The body to post: a reply's own JSON (a card it built) as it is, else its text in this kind's shape.
    public func body(for reply: Reply) -> JSONValue {
        if let json = reply.json { return json }
        switch self {
        case .connector:
            return ["text": .string(reply.text)]
        case .workflows:
            let card: JSONValue = [
                "$schema": "http://adaptivecards.io/schemas/adaptive-card.json", "type": "AdaptiveCard", "version": "1.4",
                "body": [["type": "TextBlock", "text": .string(reply.text), "wrap": true]],
            ]
            return [
                "type": "message",
                "attachments": [["contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": .null, "content": card]],
            ]
        }
    }
}
