import Foundation
import HTTPServer
import JSON

/// `POST /hooks/NAME`: generic webhooks for the integration NAME, with GitHub and GitLab recognised by their
/// headers. Bodies are JSON, form fields or text; the reply is JSON or text with the integration's own status and
/// headers (an empty 200 when it has none).
///
/// Verification is per integration, from settings (see `PlatformSecrets`):
/// - `NAME.github_secret` / `github_secret`: `X-Hub-Signature-256`;
/// - `NAME.gitlab_secret` / `gitlab_secret`: `X-Gitlab-Token`;
/// - `NAME.webhooks_credentials` / `webhooks_credentials`: HTTP basic auth, `user:password[,user:password…]`.
///
/// When any of these is configured for NAME the request must pass one of them (fail closed); with none, the hook is
/// open, as generic webhooks are in Errbot and helga.
public struct WebhookAdapter: PlatformAdapter {
    public let name = "hooks"
    /// GitHub and GitLab both give up after 10 s.
    public var answerDeadline: Duration = .seconds(10)
    public let secrets: PlatformSecrets

    public init(secrets: PlatformSecrets) {
        self.secrets = secrets
    }

    /// `/hooks/NAME` → NAME, if NAME is a valid integration name.
    public static func integrationName(path: String) -> String? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0] == "hooks", IntegrationName.isValid(parts[1]) else { return nil }
        return String(parts[1])
    }

    public func verify(_ request: HTTPRequest, now: Date) throws(VerificationFailure) {
        guard let integration = WebhookAdapter.integrationName(path: request.path) else {
            throw VerificationFailure("not a /hooks/NAME route")
        }
        try verify(request, integration: integration)
    }

    /// Checks the request against the schemes configured for `integration`; also for an integration's own routes.
    public func verify(_ request: HTTPRequest, integration: String) throws(VerificationFailure) {
        var failures: [VerificationFailure] = []
        var configured = false
        if let secret = secrets.value("github_secret", integrationOrGlobal: integration) {
            configured = true
            do throws(VerificationFailure) {
                try HubSignature.verify(headers: request.headers, body: request.body, secret: secret)
                return
            } catch { failures.append(error) }
        }
        if let token = secrets.value("gitlab_secret", integrationOrGlobal: integration) {
            configured = true
            do throws(VerificationFailure) {
                try GitLabToken.verify(headers: request.headers, token: token)
                return
            } catch { failures.append(error) }
        }
        if let list = secrets.value("webhooks_credentials", integrationOrGlobal: integration) {
            configured = true
            do throws(VerificationFailure) {
                try BasicCredentials.verify(headers: request.headers, allowed: BasicCredentials.list(list))
                return
            } catch { failures.append(error) }
        }
        guard configured else { return }
        throw VerificationFailure(failures.map(\.reason).joined(separator: "; "))
    }

    public func decode(_ request: HTTPRequest) throws(IntegrationError) -> PlatformEvent {
        guard let integration = WebhookAdapter.integrationName(path: request.path) else {
            throw IntegrationError(status: 404, "no such hook")
        }
        return try decode(request, integration: integration)
    }

    /// Decodes a webhook for `integration`; also for an integration's own routes.
    public func decode(_ request: HTTPRequest, integration: String) throws(IntegrationError) -> PlatformEvent {
        let payload = try RequestPayload.decode(request)
        let headers = request.headers
        let text: String
        switch payload {
        case .string(let body): text = body
        default: text = payload["text"]?.stringValue ?? ""
        }
        var notification = Notification(
            platform: .generic, text: text, headers: headers, rawBody: request.body, payload: payload)
        var deliveryID: String?
        if let event = headers["X-GitHub-Event"] {
            notification.platform = .github
            notification.event = event
            notification.team = payload.value(atPath: "organization.login")?.stringValue
            notification.channel = WebhookAdapter.channel(
                id: payload.value(atPath: "repository.id"), name: payload.value(atPath: "repository.full_name"))
            if let login = payload.value(atPath: "sender.login")?.stringValue {
                notification.sender = Notification.Sender(
                    id: payload.value(atPath: "sender.id")?.plainText ?? login, name: login, handle: login)
            } else if let pusher = payload.value(atPath: "pusher.name")?.stringValue {
                notification.sender = Notification.Sender(id: pusher, name: pusher, handle: pusher)
            }
            deliveryID = headers["X-GitHub-Delivery"].map { "github:\(integration):\($0)" }
        } else if let event = headers["X-Gitlab-Event"] {
            notification.platform = .gitlab
            notification.event = event
            notification.channel = WebhookAdapter.channel(
                id: payload.value(atPath: "project.id"), name: payload.value(atPath: "project.path_with_namespace"))
            let username = payload["user_username"]?.stringValue ?? payload.value(atPath: "user.username")?.stringValue
            let fullName = payload["user_name"]?.stringValue ?? payload.value(atPath: "user.name")?.stringValue
            if let id = payload["user_id"]?.plainText ?? username ?? fullName {
                notification.sender = Notification.Sender(id: id, name: fullName, handle: username)
            }
            deliveryID = headers["X-Gitlab-Event-UUID"].map { "gitlab:\(integration):\($0)" }
        } else {
            notification.event = headers["X-Event"] ?? payload["event"]?.stringValue ?? payload["type"]?.stringValue
        }
        return PlatformEvent(notification: notification, target: .integration(integration), query: text, deliveryID: deliveryID)
    }

    private static func channel(id: JSONValue?, name: JSONValue?) -> Notification.Channel? {
        guard let id = id?.plainText ?? name?.stringValue, !id.isEmpty else { return nil }
        return Notification.Channel(id: id, name: name?.stringValue)
    }

    public func render(_ reply: Reply?, for event: PlatformEvent) -> HTTPResponse {
        ReplyFormat.generic(reply)
    }

    /// 202 Accepted: the integration goes on running; its reply is logged.
    public func ack(for event: PlatformEvent) -> HTTPResponse {
        HTTPResponse(status: 202)
    }

    public func lateDelivery(of reply: Reply, for event: PlatformEvent) -> OutboundMessage? { nil }
}
