/// Sends messages back to where a notification came from, at any time during or after the run: Slack and
/// Mattermost `response_url` posts (within their budget of 5 in 30 minutes), else the chat API with the
/// integration's token. An integration reaches it as `invocation.followUp` and may send several.
public struct FollowUp: Sendable {
    /// How one delivery ended.
    public enum Outcome: Sendable, Equatable {
        case delivered
        /// Not sent: Slack's or Mattermost's budget for this response_url is spent.
        case overBudget
        /// Every try failed (or the destination refused for good).
        case failed(reason: String)
    }

    private let deliver: @Sendable (Reply) async -> Outcome

    public init(_ deliver: @escaping @Sendable (Reply) async -> Outcome) {
        self.deliver = deliver
    }

    /// Sends `reply` now, retrying as the platform's deliverer does. Throws when there is no way back or it was
    /// not delivered.
    public func send(_ reply: Reply) async throws(IntegrationError) {
        switch await deliver(reply) {
        case .delivered: return
        case .overBudget: throw IntegrationError.tooManyRequests("follow-up not sent: the response_url budget is spent")
        case .failed(let reason): throw IntegrationError.badGateway("follow-up not sent: \(reason)")
        }
    }
}
