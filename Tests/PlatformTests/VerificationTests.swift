import Crypto
import Foundation
import HTTPServer
import HostApp
import HostCore
import IntegrationContract
import Logging
import Manifests
import Platforms
import Plugins
import JSON
import Testing

/// Every platform's check against the shared vectors: valid, forged, stale, missing, unconfigured.
@Suite struct VerificationTests {
    static func slackRequest(_ vector: JSONValue, body: String? = nil, signature: String? = nil) -> HTTPRequest {
        var headers: HTTPHeaders = ["Content-Type": "application/x-www-form-urlencoded"]
        headers.add("X-Slack-Request-Timestamp", Fixtures.string(vector, "timestamp"))
        headers.add("X-Slack-Signature", signature ?? Fixtures.string(vector, "x_slack_signature"))
        return Fixtures.request("/slack", headers: headers, body: body ?? Fixtures.string(vector, "body"))
    }

    /// Slack's documented signing example and an own vector (https://api.slack.com/authentication/verifying-requests-from-slack#validating-a-request).
    @Test(arguments: ["slack_docs_example", "echo_command"])
    func slackVectors(name: String) throws {
        let vector = try #require(try Fixtures.load("slack/signing_vectors.json")[name])
        let secret = Fixtures.string(vector, "signing_secret")
        let sent = Date(timeIntervalSince1970: try #require(TimeInterval(Fixtures.string(vector, "timestamp"))))
        let adapter = SlackAdapter(secrets: try Fixtures.secrets(["slack_signing_secret:\(secret)"]))

        #expect(SlackSignature.signature(secret: secret, timestamp: Fixtures.string(vector, "timestamp"),
            body: Array(Fixtures.string(vector, "body").utf8)) == Fixtures.string(vector, "x_slack_signature"))
        try adapter.verify(Self.slackRequest(vector), now: sent)
        try adapter.verify(Self.slackRequest(vector), now: sent.addingTimeInterval(299))
        try adapter.verify(Self.slackRequest(vector), now: sent.addingTimeInterval(-299))

        #expect(throws: VerificationFailure.self) {
            try adapter.verify(Self.slackRequest(vector), now: sent.addingTimeInterval(301))
        }
        #expect(throws: VerificationFailure.self) {
            try adapter.verify(Self.slackRequest(vector), now: Date())
        }
        #expect(throws: VerificationFailure.self) {
            try adapter.verify(Self.slackRequest(vector, body: Fixtures.string(vector, "body") + "&x=1"), now: sent)
        }
        let forged = "v0=" + String(repeating: "0", count: 64)
        #expect(throws: VerificationFailure.self) {
            try adapter.verify(Self.slackRequest(vector, signature: forged), now: sent)
        }
        let bare = Fixtures.request("/slack", body: Fixtures.string(vector, "body"))
        #expect(throws: VerificationFailure("missing X-Slack-Request-Timestamp")) { try adapter.verify(bare, now: sent) }

        let unconfigured = SlackAdapter(secrets: try Fixtures.secrets([]))
        #expect(throws: VerificationFailure.self) { try unconfigured.verify(Self.slackRequest(vector), now: sent) }
        let wrongSecret = SlackAdapter(secrets: try Fixtures.secrets(["slack_signing_secret:\(secret)x"]))
        #expect(throws: VerificationFailure("X-Slack-Signature does not match")) {
            try wrongSecret.verify(Self.slackRequest(vector), now: sent)
        }
    }

    /// Slack's signing secret (https://api.slack.com/authentication/verifying-requests-from-slack).
    @Test func slackSecretFromEnvironment() throws {
        let vector = try #require(try Fixtures.load("slack/signing_vectors.json")["echo_command"])
        let secrets = try Fixtures.secrets([], environment: ["SLACK_SIGNING_SECRET": Fixtures.string(vector, "signing_secret")])
        let sent = Date(timeIntervalSince1970: 1_700_000_000)
        try SlackAdapter(secrets: secrets).verify(Self.slackRequest(vector), now: sent)
    }

    /// Slack's signing secret (https://api.slack.com/authentication/verifying-requests-from-slack).
    @Test func slackFailureNeverContainsTheSecret() throws {
        let vector = try #require(try Fixtures.load("slack/signing_vectors.json")["echo_command"])
        let secret = Fixtures.string(vector, "signing_secret")
        let adapter = SlackAdapter(secrets: try Fixtures.secrets(["slack_signing_secret:\(secret)"]))
        let stale = Date(timeIntervalSince1970: 1_800_000_000)
        do {
            try adapter.verify(Self.slackRequest(vector), now: stale)
            Issue.record("stale request accepted")
        } catch {
            #expect(!error.reason.contains(secret))
            #expect(!error.reason.contains(Fixtures.string(vector, "x_slack_signature")))
            #expect(error.reason.contains("stale"))
        }
    }

    /// Mattermost's slash-command token (https://developers.mattermost.com/integrate/slash-commands/custom/).
    @Test func mattermostToken() throws {
        let fixture = try Fixtures.load("mattermost/slash_command.json")
        let token = Fixtures.string(fixture, "token")
        let body = Fixtures.string(fixture, "body")
        let adapter = MattermostAdapter(secrets: try Fixtures.secrets(["mattermost_token:\(token)"]))
        let now = Date()

        try adapter.verify(
            Fixtures.request("/mattermost", headers: ["Authorization": Fixtures.string(fixture, "authorization_header")], body: body),
            now: now)
        try adapter.verify(Fixtures.request("/mattermost", body: body), now: now)  // the form field
        #expect(throws: VerificationFailure.self) {
            try adapter.verify(Fixtures.request("/mattermost", headers: ["Authorization": "Token wrong"], body: body), now: now)
        }
        let withoutToken = body.replacingOccurrences(of: "&token=\(token)", with: "")
        #expect(throws: VerificationFailure.self) {
            try adapter.verify(Fixtures.request("/mattermost", body: withoutToken), now: now)
        }
        // A per-command token: `echo.mattermost_token`.
        let perCommand = MattermostAdapter(secrets: try Fixtures.secrets(["echo.mattermost_token:\(token)"]))
        try perCommand.verify(Fixtures.request("/mattermost", body: body), now: now)
        let otherCommand = MattermostAdapter(secrets: try Fixtures.secrets(["deploy.mattermost_token:\(token)"]))
        #expect(throws: VerificationFailure.self) { try otherCommand.verify(Fixtures.request("/mattermost", body: body), now: now) }
    }

    /// A JSON object body, which `decode` reads like the form: its `command` picks the per-command token and its
    /// `token` member is checked.
    @Test func mattermostTokenInAJSONBody() throws {
        let perCommand = MattermostAdapter(secrets: try Fixtures.secrets(["echo.mattermost_token:json-token"]))
        let other = MattermostAdapter(secrets: try Fixtures.secrets(["deploy.mattermost_token:json-token"]))
        let json: HTTPHeaders = ["Content-Type": "application/json"]
        func request(_ body: String) -> HTTPRequest { Fixtures.request("/mattermost", headers: json, body: body) }
        let valid = #"{"command": "/echo", "text": "hi", "token": "json-token", "user_name": "ada"}"#
        try perCommand.verify(request(valid), now: Date())
        #expect(throws: VerificationFailure.self) { try other.verify(request(valid), now: Date()) }
        #expect(throws: VerificationFailure.self) {
            try perCommand.verify(request(#"{"command": "/echo", "text": "hi", "token": "json-tokex"}"#), now: Date())
        }
        #expect(throws: VerificationFailure.self) {
            try perCommand.verify(request(#"{"command": "/echo", "text": "hi"}"#), now: Date())
        }
        // The same fields as a form, and the header instead of the field.
        let form: HTTPHeaders = ["Content-Type": "application/x-www-form-urlencoded"]
        try perCommand.verify(Fixtures.request("/mattermost", headers: form, body: "command=%2Fecho&text=hi&token=json-token"), now: Date())
        try perCommand.verify(
            Fixtures.request(
                "/mattermost", headers: ["Content-Type": "application/json", "Authorization": "Token json-token"],
                body: #"{"command": "/echo", "text": "hi"}"#),
            now: Date())
        #expect(try perCommand.decode(request(valid)).query == "hi")
    }

    /// Teams' HMAC over the body (https://learn.microsoft.com/en-us/microsoftteams/platform/webhooks-and-connectors/how-to/add-outgoing-webhook#create-a-method-to-verify-the-outgoing-webhook-hmac-token).
    @Test func teamsHMAC() throws {
        let fixture = try Fixtures.load("teams/outgoing_webhook.json")
        let secret = Fixtures.string(fixture, "security_token_base64")
        let body = Fixtures.string(fixture, "body")
        let header = Fixtures.string(fixture, "authorization_header")
        let adapter = TeamsAdapter(secrets: try Fixtures.secrets(["teams_secret:\(secret)"]))
        #expect(TeamsSignature.authorization(securityToken: secret, body: Array(body.utf8)) == header)

        try adapter.verify(Fixtures.request("/teams", headers: ["Authorization": header], body: body), now: Date())
        #expect(throws: VerificationFailure.self) {
            try adapter.verify(Fixtures.request("/teams", headers: ["Authorization": header], body: body + " "), now: Date())
        }
        #expect(throws: VerificationFailure.self) {
            try adapter.verify(Fixtures.request("/teams", headers: ["Authorization": "HMAC AAAA"], body: body), now: Date())
        }
        #expect(throws: VerificationFailure("missing Authorization")) {
            try adapter.verify(Fixtures.request("/teams", body: body), now: Date())
        }
        let perIntegration = TeamsAdapter(secrets: try Fixtures.secrets(["echo.teams_secret:\(secret)"]))
        try perIntegration.verify(Fixtures.request("/teams", headers: ["Authorization": header], body: body), now: Date())
    }

    /// GitHub's `X-Hub-Signature-256` (https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries).
    @Test func githubSignature() throws {
        let vectors = try Fixtures.load("github/signing_vectors.json")
        let docs = vectors["github_docs_example"]
        #expect(HubSignature.signature(secret: Fixtures.string(docs, "secret"), body: Array(Fixtures.string(docs, "payload").utf8))
            == Fixtures.string(docs, "x_hub_signature_256"))

        let push = vectors["push"]
        let adapter = WebhookAdapter(secrets: try Fixtures.secrets(["ci.github_secret:\(Fixtures.string(push, "secret"))"]))
        var headers: HTTPHeaders = ["Content-Type": "application/json", "X-GitHub-Event": "push"]
        headers.add("X-Hub-Signature-256", Fixtures.string(push, "x_hub_signature_256"))
        let payload = Fixtures.string(push, "payload")
        #expect(try adapter.verify(Fixtures.request("/hooks/ci", headers: headers, body: payload), now: Date()) == .githubSignature)
        // Hex is hex in either case, as the manifest `signature` rule reads it.
        var upper: HTTPHeaders = ["X-GitHub-Event": "push"]
        upper.add("X-Hub-Signature-256", "sha256=" + Fixtures.string(push, "x_hub_signature_256").dropFirst(7).uppercased())
        try adapter.verify(Fixtures.request("/hooks/ci", headers: upper, body: payload), now: Date())
        #expect(throws: VerificationFailure("X-Hub-Signature-256 is not sha256=HEX")) {
            try adapter.verify(Fixtures.request("/hooks/ci", headers: ["X-Hub-Signature-256": "sha1=abcd"], body: payload), now: Date())
        }
        #expect(throws: VerificationFailure.self) {
            try adapter.verify(Fixtures.request("/hooks/ci", headers: headers, body: payload.replacingOccurrences(of: "main", with: "evil")), now: Date())
        }
        #expect(throws: VerificationFailure("missing X-Hub-Signature-256")) {
            try adapter.verify(Fixtures.request("/hooks/ci", headers: ["X-GitHub-Event": "push"], body: payload), now: Date())
        }
        // Another hook has no secret: open, as generic webhooks are.
        try adapter.verify(Fixtures.request("/hooks/other", body: payload), now: Date())
        // A global secret covers every hook.
        let global = WebhookAdapter(secrets: try Fixtures.secrets(["github_secret:\(Fixtures.string(push, "secret"))"]))
        #expect(throws: VerificationFailure.self) { try global.verify(Fixtures.request("/hooks/other", body: payload), now: Date()) }
    }

    /// GitLab's `X-Gitlab-Token` (https://docs.gitlab.com/ee/user/project/integrations/webhooks.html#validate-payloads-by-using-a-secret-token).
    @Test func gitlabToken() throws {
        let fixture = try Fixtures.load("gitlab/push.json")
        let token = Fixtures.string(fixture, "x_gitlab_token")
        let adapter = WebhookAdapter(secrets: try Fixtures.secrets([], environment: ["CI_GITLAB_SECRET": token]))
        let body = Fixtures.string(fixture, "payload")
        try adapter.verify(Fixtures.request("/hooks/ci", headers: ["X-Gitlab-Token": token], body: body), now: Date())
        #expect(throws: VerificationFailure("X-Gitlab-Token does not match")) {
            try adapter.verify(Fixtures.request("/hooks/ci", headers: ["X-Gitlab-Token": token + "x"], body: body), now: Date())
        }
        #expect(throws: VerificationFailure("missing X-Gitlab-Token")) {
            try adapter.verify(Fixtures.request("/hooks/ci", body: body), now: Date())
        }
    }

    /// Basic authentication (https://www.rfc-editor.org/rfc/rfc7617).
    @Test func basicAuth() throws {
        let adapter = WebhookAdapter(secrets: try Fixtures.secrets(["ci.webhooks_credentials:ada:pa:ss, bob:hunter2"]))
        func request(_ credentials: String) -> HTTPRequest {
            Fixtures.request("/hooks/ci", headers: ["Authorization": "Basic " + Encoding.base64(Array(credentials.utf8))], body: "{}")
        }
        try adapter.verify(request("ada:pa:ss"), now: Date())
        try adapter.verify(request("bob:hunter2"), now: Date())
        #expect(throws: VerificationFailure.self) { try adapter.verify(request("bob:hunter3"), now: Date()) }
        #expect(throws: VerificationFailure.self) { try adapter.verify(request("bob"), now: Date()) }
        #expect(throws: VerificationFailure("missing Authorization")) {
            try adapter.verify(Fixtures.request("/hooks/ci", body: "{}"), now: Date())
        }
    }

    /// Several schemes configured for one hook are alternatives, as adnanh/webhook's `or` rule (https://github.com/adnanh/webhook/blob/master/docs/Hook-Rules.md).
    @Test func anyConfiguredSchemeWillDo() throws {
        let gitlab = try Fixtures.load("gitlab/push.json")
        let adapter = WebhookAdapter(secrets: try Fixtures.secrets([
            "ci.github_secret:gh", "ci.gitlab_secret:\(Fixtures.string(gitlab, "x_gitlab_token"))",
        ]))
        try adapter.verify(
            Fixtures.request("/hooks/ci", headers: ["X-Gitlab-Token": Fixtures.string(gitlab, "x_gitlab_token")], body: "{}"),
            now: Date())
        #expect(throws: VerificationFailure("missing X-Hub-Signature-256; missing X-Gitlab-Token")) {
            try adapter.verify(Fixtures.request("/hooks/ci", body: "{}"), now: Date())
        }
    }
}
