import Foundation
import HTTPServer
import IntegrationContract
import JSON
import Synchronization

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
    private let schemes = SchemeCache()

    public init(secrets: PlatformSecrets) {
        self.secrets = secrets
    }

    /// The verification settings of one integration. Settings never change while the host runs, so each
    /// integration's are looked up once (the names are those of loaded integrations).
    private struct Schemes {
        let githubSecret: String?
        let gitlabToken: String?
        let credentials: String?
    }

    private final class SchemeCache: Sendable {
        let values = Mutex<[String: Schemes]>([:])
    }

    private func schemes(for integration: String) -> Schemes {
        if let known = schemes.values.withLock({ $0[integration] }) { return known }
        let found = Schemes(
            githubSecret: secrets.value("github_secret", integrationOrGlobal: integration),
            gitlabToken: secrets.value("gitlab_secret", integrationOrGlobal: integration),
            credentials: secrets.value("webhooks_credentials", integrationOrGlobal: integration))
        schemes.values.withLock { $0[integration] = found }
        return found
    }

    /// `headers` with `Content-Type` replaced by `contentType` (one of `PayloadContentType.forcible`); a forced
    /// `multipart/form-data` keeps the sender's `boundary`, which only the sender knows.
    public static func headers(_ headers: HTTPHeaders, forcingContentType contentType: String) -> HTTPHeaders {
        var value = contentType
        if contentType == "multipart/form-data", let sent = headers["Content-Type"],
            let boundary = sent.range(of: "boundary=", options: .caseInsensitive)
        {
            value += "; " + sent[boundary.lowerBound...]
        }
        var headers = headers
        headers.set("Content-Type", value)
        return headers
    }

    /// `/hooks/NAME` → NAME, if NAME is a valid integration name.
    public static func integrationName(path: String) -> String? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0] == "hooks", IntegrationName.isValid(parts[1]) else { return nil }
        return String(parts[1])
    }

    @discardableResult
    public func verify(_ request: HTTPRequest, now: Date) throws(VerificationFailure) -> SenderProof? {
        guard let integration = WebhookAdapter.integrationName(path: request.path) else {
            throw VerificationFailure("not a /hooks/NAME route")
        }
        return try verify(request, integration: integration)
    }

    /// Checks the request against the schemes configured for `integration`; also for an integration's own routes.
    /// Passing any one configured scheme is enough; with none configured the hook is open (`nil`).
    @discardableResult
    public func verify(_ request: HTTPRequest, integration: String) throws(VerificationFailure) -> SenderProof? {
        let schemes = schemes(for: integration)
        var failures: [VerificationFailure] = []
        var configured = false
        if let secret = schemes.githubSecret {
            configured = true
            do throws(VerificationFailure) {
                try HubSignature.verify(headers: request.headers, body: request.body, secret: secret)
                return .githubSignature
            } catch { failures.append(error) }
        }
        if let token = schemes.gitlabToken {
            configured = true
            do throws(VerificationFailure) {
                try GitLabToken.verify(headers: request.headers, token: token)
                return .gitlabToken
            } catch { failures.append(error) }
        }
        if let list = schemes.credentials {
            configured = true
            do throws(VerificationFailure) {
                try BasicCredentials.verify(headers: request.headers, allowed: BasicCredentials.list(list))
                return .basicAuth
            } catch { failures.append(error) }
        }
        guard configured else { return nil }
        throw VerificationFailure(failures.map(\.reason).joined(separator: "; "))
    }

    public func decode(_ request: HTTPRequest) throws(IntegrationError) -> PlatformEvent {
        guard let integration = WebhookAdapter.integrationName(path: request.path) else {
            throw IntegrationError.notFound("no such hook")
        }
        return try decode(request, integration: integration)
    }

    /// Decodes a webhook for `integration`; also for an integration's own routes.
    public func decode(_ request: HTTPRequest, integration: String) throws(IntegrationError) -> PlatformEvent {
        let payload = try RequestPayload.decode(request, picking: WebhookAdapter.paths, unwrappingFormPayload: true)
        let headers = request.headers
        let text = payload.string ?? payload.value(atPath: "text")?.stringValue ?? ""
        var notification = Notification(platform: .generic, text: text, headers: headers)
        payload.store(in: &notification)
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
            let username = payload.value(atPath: "user_username")?.stringValue
                ?? payload.value(atPath: "user.username")?.stringValue
            let fullName = payload.value(atPath: "user_name")?.stringValue ?? payload.value(atPath: "user.name")?.stringValue
            if let id = payload.value(atPath: "user_id")?.plainText ?? username ?? fullName {
                notification.sender = Notification.Sender(id: id, name: fullName, handle: username)
            }
            deliveryID = headers["X-Gitlab-Event-UUID"].map { "gitlab:\(integration):\($0)" }
        } else {
            notification.event = headers["X-Event"] ?? payload.value(atPath: "event")?.stringValue
                ?? payload.value(atPath: "type")?.stringValue
        }
        return PlatformEvent(notification: notification, target: .integration(integration), query: text, deliveryID: deliveryID)
    }

    /// Every payload field `decode` reads.
    private static let paths = JSONPaths([
        "text", "event", "type", "organization.login", "repository.id", "repository.full_name", "sender.login",
        "sender.id", "pusher.name", "project.id", "project.path_with_namespace", "user_username", "user.username",
        "user_name", "user.name", "user_id",
    ])

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
