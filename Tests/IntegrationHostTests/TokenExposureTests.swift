import Foundation
import HostApp
import JSON
import Testing
import TestSupport

/// What an integration sees among "all tokens": the integration tokens the admin configured, never the admin token
/// or the platforms' settings and secrets (issue: containment, item 8).
@Suite struct TokenExposureTests {
    @Test func integrationsDoNotReceiveTheAdminTokenOrPlatformSecrets() async throws {
        let host = try TestHost(
            files: [
                "tokens.json": #"{"actions": [{"reply": "[{{tokens.admin}}|{{tokens.slack_signing_secret}}|{{tokens.send_message}}]"}]}"#
            ],
            tokens: [
                "admin:ADMIN-SECRET-1", "slack_signing_secret:SLACK-SECRET-1", "tokens.github_secret:HUB-SECRET-1",
                "send_message:GLOBALTOKEN",
            ])
        defer { Task { await host.stop() } }
        let answer = try await host.request("POST", "/hipchat", body: try Fixtures.hipchat(message: "/tokens"))
        #expect(try JSONValue(parsing: answer.body)["message"] == "[||GLOBALTOKEN]")
        // Per-integration platform settings (`NAME.setting`) are the host's too.
        let given = host.host.dependencies.dispatcher.tokens
        #expect(given.global.keys.sorted() == ["send_message"])
    }

    @Test func aShortTokenIsWarnedAboutAndLeavesTheLogReadable() async throws {
        let host = try TestHost(tokens: ["a:1"])
        defer { Task { await host.stop() } }
        #expect(await eventually { host.log.contains("token a is shorter than 8 characters") })
        #expect(!host.log.contains("[redacted]"))
        #expect(host.log.contains("listening on 127.0.0.1:"))
    }
}
