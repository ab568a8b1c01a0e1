/// How a destination says it took a message, and so how its answer is read.
public enum DeliveryAcceptance: Sendable {
    /// Any 2xx status (response URLs, incoming webhooks, Mattermost's API).
    case status
    /// Slack's Web API: a 2xx status whose JSON body says `"ok": true`. Slack answers most errors with
    /// `200 {"ok": false, "error": "not_in_channel"}` (https://api.slack.com/web#evaluating_responses).
    case slackWebAPI
}
