import HostApp
import HostCore
import IntegrationContract
import Logging
import Manifests
import Platforms
import Plugins
import Testing

/// Settings from tokens and the environment.
@Suite struct PlatformSecretsTests {
    @Test func lookupOrderAndRedactions() throws {
        let secrets = try Fixtures.secrets(
            ["github_secret:global", "deploy-bot.github_secret:own"],
            environment: ["GITLAB_SECRET": "env-global", "DEPLOY_BOT_GITLAB_SECRET": "env-own", "HOME": "/root", "SLACK_SIGNING_SECRET": ""])
        #expect(secrets.value("github_secret") == "global")
        #expect(secrets.value("github_secret", integrationOrGlobal: "deploy-bot") == "own")
        #expect(secrets.value("github_secret", integrationOrGlobal: "other") == "global")
        #expect(secrets.value("gitlab_secret", integrationOrGlobal: "deploy-bot") == "env-own")
        #expect(secrets.value("gitlab_secret", integrationOrGlobal: "other") == "env-global")
        #expect(secrets.value("slack_signing_secret") == nil)
        #expect(Set(secrets.redactions) == ["global", "own", "env-global", "env-own"])
    }
}
