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
import Synchronization
import Testing

/// Each platform over real HTTP on loopback with the shared fixtures: valid, forged, stale and missing signatures;
/// replies in the platform's format; dedupe of redeliveries.
@Suite struct PlatformEndToEndTests {
    static let echo = TestIntegration("echo") { invocation in
        Reply("\(invocation.notification.platform.rawValue): \(invocation.query)", visibility: .ephemeral)
    }

    static func slackHeaders(timestamp: String, signature: String) -> [String: String] {
        [
            "Content-Type": "application/x-www-form-urlencoded", "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": signature,
        ]
    }

    /// A signed Slack slash command answered inline (https://api.slack.com/interactivity/slash-commands#responding_to_commands).
    @Test func slack() async throws {
        let vector = try #require(try Fixtures.load("slack/signing_vectors.json")["echo_command"])
        let secret = Fixtures.string(vector, "signing_secret")
        let timestamp = Fixtures.string(vector, "timestamp")
        let body = Fixtures.string(vector, "body")
        let sent = Date(timeIntervalSince1970: try #require(TimeInterval(timestamp)))
        let echo = TestIntegration("echo") { Reply("echo: \($0.query)", visibility: .ephemeral) }
        let clock = ClockBox(sent.addingTimeInterval(12))
        let host = try PlatformTestHost(tokens: ["slack_signing_secret:\(secret)"], integrations: [echo], clock: clock.now)
        defer { Task { await host.stop() } }
        let url = host.url("/slack")
        let signed = Self.slackHeaders(timestamp: timestamp, signature: Fixtures.string(vector, "x_slack_signature"))

        let valid = try await Client.post(url, headers: signed, body: body)
        #expect(valid.status == 200)
        #expect(valid.headers["content-type"] == "application/json")
        #expect(valid.json == ["response_type": "ephemeral", "text": "echo: hello über 42 & more"])

        let forged = try await Client.post(url, headers: signed, body: body.replacingOccurrences(of: "ada", with: "eve"))
        #expect(forged.status == 401)
        #expect(forged.json?["error"] == "X-Slack-Signature does not match")

        let missing = try await Client.post(url, headers: ["Content-Type": "application/x-www-form-urlencoded"], body: body)
        #expect(missing.status == 401)

        clock.set(sent.addingTimeInterval(301))
        let stale = try await Client.post(url, headers: signed, body: body)
        #expect(stale.status == 401)
        #expect(stale.json?["error"]?.stringValue?.contains("stale") == true)
        #expect(echo.runs == 1)

        let log = host.log
        #expect(log.contains("slack: refused /slack from 127.0.0.1: X-Slack-Signature does not match"))
        #expect(log.contains("slack: refused /slack from 127.0.0.1: missing X-Slack-Request-Timestamp"))
        #expect(!log.contains(secret))
        #expect(!log.contains(Fixtures.string(vector, "x_slack_signature")))

        let probe = try await Client.post(url, headers: ["Content-Type": "application/x-www-form-urlencoded"], body: "ssl_check=1&token=x")
        #expect(probe.status == 200 && probe.body.isEmpty)
        #expect(echo.runs == 1)
    }

    /// Slack's 5-minute timestamp window (https://api.slack.com/authentication/verifying-requests-from-slack#validating-a-request).
    @Test func slackWithTheRealClockAndAnUnknownCommand() async throws {
        let secret = "fresh-secret"
        let host = try PlatformTestHost(tokens: ["slack_signing_secret:\(secret)"], integrations: [Self.echo])
        defer { Task { await host.stop() } }
        let now = String(Int(Date().timeIntervalSince1970))
        let body = "command=%2Fnope&text=x&trigger_id=t1"
        let headers = Self.slackHeaders(timestamp: now, signature: SlackSignature.signature(secret: secret, timestamp: now, body: Array(body.utf8)))
        let response = try await Client.post(host.url("/slack"), headers: headers, body: body)
        // Anything but 200 makes Slack show "/nope failed with the error …" and the user never learns why
        // (https://api.slack.com/interactivity/slash-commands#responding_with_errors).
        #expect(response.status == 200)
        #expect(response.json == ["response_type": "ephemeral", "text": "no integration answers /nope"])
    }

    /// A Mattermost slash command and its response fields (https://developers.mattermost.com/integrate/slash-commands/custom/).
    @Test func mattermost() async throws {
        let fixture = try Fixtures.load("mattermost/slash_command.json")
        let token = Fixtures.string(fixture, "token")
        let body = Fixtures.string(fixture, "body")
        let host = try PlatformTestHost(tokens: ["mattermost_token:\(token)"], integrations: [Self.echo])
        defer { Task { await host.stop() } }
        let url = host.url("/mattermost")
        let form = ["Content-Type": "application/x-www-form-urlencoded"]

        var withHeader = form
        withHeader["Authorization"] = Fixtures.string(fixture, "authorization_header")
        let valid = try await Client.post(url, headers: withHeader, body: body)
        #expect(valid.status == 200)
        #expect(valid.headers["content-type"] == "application/json")
        #expect(valid.json == ["response_type": "ephemeral", "text": "mattermost: status now", "username": "echo"])

        var forged = form
        forged["Authorization"] = "Token forged-token"
        #expect(try await Client.post(url, headers: forged, body: body).status == 401)
        let noToken = body.replacingOccurrences(of: "&token=\(token)", with: "")
        #expect(try await Client.post(url, headers: form, body: noToken).status == 401)
        #expect(try await Client.post(url, headers: form, body: body).status == 200)  // the form token alone
    }

    /// Slack, Mattermost and Teams show their own generic error for anything but a 200 (Slack: "failed with the
    /// error …", https://api.slack.com/interactivity/slash-commands#responding_with_errors; Mattermost: "Command
    /// with a trigger of … failed"), so an unknown command or a failing run answers 200 with the reason, only to the
    /// sender where the platform can.
    @Test func unknownCommandsAndFailuresAreShownToTheSender() async throws {
        let failing = TestIntegration("echo") { _ in throw IntegrationError.unavailable("busy: 64 runs going", retryAfter: 1) }
        let mattermost = try Fixtures.load("mattermost/slash_command.json")
        let teams = try Fixtures.load("teams/outgoing_webhook.json")
        let host = try PlatformTestHost(
            tokens: ["mattermost_token:\(Fixtures.string(mattermost, "token"))",
                     "teams_secret:\(Fixtures.string(teams, "security_token_base64"))"],
            integrations: [failing])
        defer { Task { await host.stop() } }
        let form = ["Content-Type": "application/x-www-form-urlencoded"]
        let body = Fixtures.string(mattermost, "body")

        let failed = try await Client.post(host.url("/mattermost"), headers: form, body: body)
        #expect(failed.status == 200)
        #expect(failed.json == ["response_type": "ephemeral", "text": "echo: busy: 64 runs going", "username": "echo"])
        let unknown = try await Client.post(
            host.url("/mattermost"), headers: form, body: body.replacingOccurrences(of: "command=%2Fecho", with: "command=%2Fnope"))
        #expect(unknown.status == 200)
        #expect(unknown.json?["text"] == "no integration answers /nope")

        let teamsFailed = try await Client.post(
            host.url("/teams"),
            headers: ["Content-Type": "application/json", "Authorization": Fixtures.string(teams, "authorization_header")],
            body: Fixtures.string(teams, "body"))
        #expect(teamsFailed.status == 200)
        #expect(teamsFailed.json == ["type": "message", "text": "echo: busy: 64 runs going"])
        #expect(failing.runs == 2)
        #expect(host.log.contains("echo failed"))
    }

    /// A Teams outgoing webhook, HMAC-verified, answered with a message (https://learn.microsoft.com/en-us/microsoftteams/platform/webhooks-and-connectors/how-to/add-outgoing-webhook).
    @Test func teams() async throws {
        let fixture = try Fixtures.load("teams/outgoing_webhook.json")
        let body = Fixtures.string(fixture, "body")
        let host = try PlatformTestHost(
            tokens: ["teams_secret:\(Fixtures.string(fixture, "security_token_base64"))"], integrations: [Self.echo])
        defer { Task { await host.stop() } }
        let url = host.url("/teams")

        let valid = try await Client.post(
            url, headers: ["Content-Type": "application/json", "Authorization": Fixtures.string(fixture, "authorization_header")],
            body: body)
        #expect(valid.status == 200)
        #expect(valid.json == ["type": "message", "text": "teams: hello teams"])

        let forged = try await Client.post(
            url, headers: ["Content-Type": "application/json", "Authorization": Fixtures.string(fixture, "authorization_header")],
            body: body.replacingOccurrences(of: "hello", with: "HELLO"))
        #expect(forged.status == 401)
        #expect(try await Client.post(url, headers: ["Content-Type": "application/json"], body: body).status == 401)
    }

    /// GitHub redeliveries carry the same `X-GitHub-Delivery` (https://docs.github.com/en/webhooks/webhook-events-and-payloads#delivery-headers).
    @Test func githubWithDedupe() async throws {
        let push = try Fixtures.load("github/signing_vectors.json")["push"]
        let ci = TestIntegration("ci") { invocation in
            Reply("", json: [
                "event": .string(invocation.notification.event ?? ""),
                "commit": invocation.notification.payload.value(atPath: "head_commit.message") ?? .null,
            ], status: 201, headers: ["X-Handled-By": "ci"])
        }
        let host = try PlatformTestHost(tokens: ["ci.github_secret:\(Fixtures.string(push, "secret"))"], integrations: [ci])
        defer { Task { await host.stop() } }
        let url = host.url("/hooks/ci")
        let headers = [
            "Content-Type": "application/json", "X-GitHub-Event": "push",
            "X-GitHub-Delivery": Fixtures.string(push, "delivery"),
            "X-Hub-Signature-256": Fixtures.string(push, "x_hub_signature_256"),
        ]
        let payload = Fixtures.string(push, "payload")

        let forged = try await Client.post(url, headers: headers, body: payload.replacingOccurrences(of: "ada", with: "eve"))
        #expect(forged.status == 401)
        var unsigned = headers
        unsigned["X-Hub-Signature-256"] = nil
        #expect(try await Client.post(url, headers: unsigned, body: payload).status == 401)

        let valid = try await Client.post(url, headers: headers, body: payload)
        #expect(valid.status == 201)
        #expect(valid.headers["x-handled-by"] == "ci")
        #expect(valid.json == ["event": "push", "commit": "Fix the thing"])

        let redelivery = try await Client.post(url, headers: headers, body: payload)
        #expect(redelivery.status == 200 && redelivery.body.isEmpty)
        #expect(ci.runs == 1)
    }

    /// GitLab's `X-Gitlab-Token` and event UUID (https://docs.gitlab.com/ee/user/project/integrations/webhooks.html#delivery-headers).
    @Test func gitlabWithDedupe() async throws {
        let fixture = try Fixtures.load("gitlab/push.json")
        let ci = TestIntegration("ci") { invocation in
            Reply("pushed to \(invocation.notification.channel?.name ?? "?") by \(invocation.notification.sender?.name ?? "?")")
        }
        let host = try PlatformTestHost(tokens: ["gitlab_secret:\(Fixtures.string(fixture, "x_gitlab_token"))"], integrations: [ci])
        defer { Task { await host.stop() } }
        let url = host.url("/hooks/ci")
        var headers = [
            "Content-Type": "application/json", "X-Gitlab-Event": Fixtures.string(fixture, "x_gitlab_event"),
            "X-Gitlab-Event-UUID": "a1b2", "X-Gitlab-Token": Fixtures.string(fixture, "x_gitlab_token"),
        ]
        let payload = Fixtures.string(fixture, "payload")

        let valid = try await Client.post(url, headers: headers, body: payload)
        #expect(valid.status == 200)
        #expect(valid.headers["content-type"] == "text/plain; charset=utf-8")
        #expect(valid.text == "pushed to octo/hello by ada")
        #expect(try await Client.post(url, headers: headers, body: payload).body.isEmpty)
        #expect(ci.runs == 1)

        headers["X-Gitlab-Event-UUID"] = "a1b3"
        headers["X-Gitlab-Token"] = "wrong"
        #expect(try await Client.post(url, headers: headers, body: payload).status == 401)
        headers["X-Gitlab-Token"] = nil
        #expect(try await Client.post(url, headers: headers, body: payload).status == 401)
        #expect(ci.runs == 1)
    }

    /// Basic authentication on a generic hook (https://www.rfc-editor.org/rfc/rfc7617).
    @Test func genericHookWithBasicAuthFormAndNonASCII() async throws {
        let note = TestIntegration("note") { invocation in
            invocation.query == "silence" ? nil : Reply("noted: \(invocation.query)")
        }
        let host = try PlatformTestHost(tokens: ["note.webhooks_credentials:ops:s3cr:et"], integrations: [note])
        defer { Task { await host.stop() } }
        let url = host.url("/hooks/note")
        let auth = "Basic " + Encoding.base64(Array("ops:s3cr:et".utf8))

        let form = try await Client.post(
            url, headers: ["Content-Type": "application/x-www-form-urlencoded", "Authorization": auth],
            body: "text=%C3%BCber+%F0%9F%8C%8D+%26+mehr")
        #expect(form.status == 200)
        #expect(form.text == "noted: über 🌍 & mehr")

        let json = try await Client.post(
            url, headers: ["Content-Type": "application/json", "Authorization": auth], body: #"{"text":"日本語 ok"}"#)
        #expect(json.text == "noted: 日本語 ok")

        let empty = try await Client.post(
            url, headers: ["Content-Type": "application/json", "Authorization": auth], body: #"{"text":"silence"}"#)
        #expect(empty.status == 200 && empty.body.isEmpty)

        #expect(try await Client.post(url, headers: ["Content-Type": "application/json"], body: "{}").status == 401)
        let wrong = "Basic " + Encoding.base64(Array("ops:nope".utf8))
        #expect(try await Client.post(url, headers: ["Authorization": wrong], body: "{}").status == 401)
        let bad = try await Client.post(url, headers: ["Content-Type": "application/json", "Authorization": auth], body: "{oops")
        #expect(bad.status == 400)
        #expect(note.runs == 3)
    }
}
