import Logging

/// The six things every integration gets, as hipchat-integration's `run_integration(notification, query,
/// all_tokens, token, storage, log)`, plus the request they came from.
public struct Invocation: Sendable {
    public var notification: Notification
    /// What followed the slash command (`/deploy prod` → `prod`), or the whole text for routes.
    public var query: String
    /// Every token given on the command line.
    public var allTokens: Tokens
    /// This integration's own token: the room-specific one for this room and integration, if configured.
    public var token: String?
    /// This integration's storage namespace.
    public var storage: any IntegrationStorage
    /// A logger tagged with the integration name and the request id.
    public var log: IntegrationLogger
    /// The request id, also sent back as `X-Request-Id`.
    public var requestID: String
    /// The HTTP request that carried the notification, as plain values.
    public var request: InvocationRequest
    /// Named parameters of the route that matched (`/deploy/<env>` → `env`).
    public var routeParameters: [String: String]
    /// Sends further messages back to the chat the notification came from (Slack/Mattermost `response_url`, chat
    /// APIs), during or after the run; `nil` where the platform has no way back.
    public var followUp: FollowUp?
    /// Where a manifest records what each rule and action did, when the run is traced; `nil` (the default): no trace.
    public var trace: TraceRecorder?

    public init(
        notification: Notification, query: String, allTokens: Tokens, token: String?,
        storage: any IntegrationStorage, log: IntegrationLogger, requestID: String, request: InvocationRequest,
        routeParameters: [String: String] = [:], followUp: FollowUp? = nil, trace: TraceRecorder? = nil
    ) {
        self.notification = notification
        self.query = query
        self.allTokens = allTokens
        self.token = token
        self.storage = storage
        self.log = log
        self.requestID = requestID
        self.request = request
        self.routeParameters = routeParameters
        self.followUp = followUp
        self.trace = trace
    }
}
