import Foundation
import HTTPServer
import IntegrationContract

/// One platform's side of the conversation: how its requests are verified and decoded, how replies are written
/// in its format, how long it waits for an answer, and where a late reply goes.
///
/// Adapters are values with no I/O of their own: `PlatformGateway` drives them (verify → decode → dedupe →
/// run under the deadline → render, or ack and deliver later).
public protocol PlatformAdapter: Sendable {
    /// A short name for logs: "slack", "hooks".
    var name: String { get }
    /// How long the platform waits for the HTTP answer. The gateway acks about half a second before it.
    var answerDeadline: Duration { get }
    /// The methods the platform sends with; others get 405. `POST` unless the adapter says otherwise.
    var methods: Set<HTTPMethod> { get }

    /// An answer given before verification and dispatch, for probes that carry nothing to run (Slack's
    /// `ssl_check=1`); `nil` for everything else.
    func probe(_ request: HTTPRequest) -> HTTPResponse?
    /// An answer given after verification, instead of decoding and dispatch, for verified requests that carry
    /// nothing to run (Slack's `url_verification` challenge, events addressed to no command); `nil` otherwise.
    func handshake(_ request: HTTPRequest) -> HTTPResponse?
    /// Checks the request's signature or credentials over the raw body and says what proved the sender (`nil`:
    /// the platform is configured to send nothing to check). Fails closed: a missing, forged or stale signature,
    /// and a missing secret on a route that needs one, throw.
    @discardableResult
    func verify(_ request: HTTPRequest, now: Date) throws(VerificationFailure) -> SenderProof?
    /// Reads the request into a notification, the lookup target and the query. Throws a 400 on a body the
    /// platform would never send.
    func decode(_ request: HTTPRequest) throws(IntegrationError) -> PlatformEvent
    /// The answer in the platform's format; `nil` (no reply) gives an empty 200.
    func render(_ reply: Reply?, for event: PlatformEvent) -> HTTPResponse
    /// The answer given when the integration has not finished in time; the reply follows through `lateDelivery`.
    func ack(for event: PlatformEvent) -> HTTPResponse
    /// Where and how a reply that missed the deadline (or a follow-up) is sent; `nil` when the platform has no
    /// way back (webhooks), in which case the reply is only logged.
    func lateDelivery(of reply: Reply, for event: PlatformEvent) -> OutboundMessage?
    /// Whether a run that is not done in time is acked and its reply delivered later (the default), or answered
    /// 504 and cancelled, for platforms that only read the inline answer.
    var acksLateRuns: Bool { get }
    /// The answer when no integration answers the event's target: by default a 404 naming it.
    func unknownTarget(for event: PlatformEvent) -> HTTPResponse
    /// The answer when the run failed or was refused (busy, shutting down): by default the error as JSON with its
    /// status. Chat platforms show their own generic failure for anything but a 200, so theirs is a 200 with the
    /// reason as an only-you message.
    func failure(_ error: IntegrationError, for event: PlatformEvent) -> HTTPResponse
    /// How long before `answerDeadline` a run that is not done is acked; `nil` for the gateway's own margin.
    var ackMargin: Duration? { get }
    /// Why `lateDelivery` has no destination for this event, for the log, when there is more to say than that the
    /// platform has no way back.
    func noWayBack(for event: PlatformEvent) -> String?
}

extension PlatformAdapter {
    public func probe(_ request: HTTPRequest) -> HTTPResponse? { nil }
    public func handshake(_ request: HTTPRequest) -> HTTPResponse? { nil }
    public var acksLateRuns: Bool { true }
    public var methods: Set<HTTPMethod> { [.post] }
    public func noWayBack(for event: PlatformEvent) -> String? { nil }
    public func unknownTarget(for event: PlatformEvent) -> HTTPResponse {
        .error(IntegrationError.notFound("no integration answers /\(event.target.name)"))
    }
    public func failure(_ error: IntegrationError, for event: PlatformEvent) -> HTTPResponse { .error(error) }
    public var ackMargin: Duration? { nil }
}

/// What the chat platforms that show a slash command's answer only to its sender (Slack, Mattermost, Teams) answer
/// when nothing runs: 200 with the reason as an only-you message, since any other status makes the platform show its
/// own generic failure and the user never learns why. The log keeps the detail.
protocol ChatPlatformAdapter: PlatformAdapter {}

extension ChatPlatformAdapter {
    public func unknownTarget(for event: PlatformEvent) -> HTTPResponse {
        render(Reply("no integration answers /\(event.target.name)", visibility: .ephemeral), for: event)
    }

    public func failure(_ error: IntegrationError, for event: PlatformEvent) -> HTTPResponse {
        render(Reply(error.message, visibility: .ephemeral), for: event)
    }
}
