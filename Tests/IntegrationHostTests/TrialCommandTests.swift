import Crypto
import Foundation
import JSON
import Testing
import TestSupport

/// Trying an integration (issue 16, item 2): `integration-host test`, through the real binary.
@Suite struct TrialCommandTests {
    static let manifests = [
        "karma.json": #"""
            {"rules": [{"regex": {"value": "{{query}}", "pattern": "^(?<who>[a-z]+)\\+\\+$"}}],
             "actions": [{"store": {"op": "increment", "key": "{{who}}", "by": 1}, "into": "karma"},
                         {"reply": {"text": "{{who}} has {{karma}}", "color": "green"}}]}
            """#,
        "deploy.json": #"""
            {"rules": [{"all": [{"match": {"value": "{{command}}", "equals": "deploy"}},
                                {"regex": {"value": "{{query}}", "pattern": "^deploy (prod|staging)$"}}]}],
             "actions": [{"reply": "deploying"}]}
            """#,
        "hook.json": #"""
            {"rules": [{"signature": {"header": "X-Hub-Signature-256", "secret": "{{tokens.hook_secret}}", "prefix": "sha256="},
                        "on_mismatch": {"status": 401, "message": "bad signature"}}],
             "actions": [{"exec": {"argv": ["/bin/true"]}},
                         {"if": {"match": {"value": "{{payload.kind}}", "equals": "never"}}, "reply": "skipped"},
                         {"reply": {"json": {"ok": true, "kind": "{{payload.kind}}"}, "status": 201}}]}
            """#,
    ]
    static let hookSecret = "trial-hook-secret-0123456789"

    static func run(_ arguments: [String]) throws -> (status: Int32, lines: [String], stderr: String) {
        let result = try Subprocess.run(CommandLineTests.binary.path, ["test"] + arguments)
        return (result.status, result.stdoutText.split(separator: "\n").map(String.init), result.stderrText)
    }

    @Test func aCommandPrintsTheReplyForEachPlatformTheTraceStorageAndLog() throws {
        let root = try IntegrationListingTests.directory(Self.manifests)
        defer { try? FileManager.default.removeItem(at: root) }
        let (status, lines, _) = try Self.run([root.path, "karma", "ada++"])
        #expect(status == 0)
        #expect(lines.contains("integration: karma (manifest, karma.json)"))
        #expect(lines.contains(#"  rules[0].regex: "ada++" matched ^(?<who>[a-z]+)\+\+$ (who="ada")"#))
        #expect(lines.contains(#"  actions[0].store: 1"#))
        #expect(lines.contains(#"  actions[1].reply: 200 "ada has 1""#))
        #expect(lines.contains("  hipchat: 200 OK"))
        #expect(lines.contains(#"    {"color":"green","message":"ada has 1","message_format":"text","notify":false}"#))
        #expect(lines.contains(#"    {"response_type":"ephemeral","text":"ada has 1"}"#), "Slack's (the manifest leaves visibility to Slack)")
        #expect(lines.contains(#"    {"response_type":"ephemeral","text":"ada has 1","username":"karma"}"#), "Mattermost's")
        #expect(lines.contains(#"    {"text":"ada has 1","type":"message"}"#), "Teams'")
        #expect(lines.contains("  karma.ada: (none) → 1"))
        #expect(lines.contains { $0.contains("integration=karma karma finished in") })
        #expect(lines.last == "result: answered")
    }

    @Test func aRuleThatDoesNotMatchSaysWhereAndWhyAndExitsOne() throws {
        let root = try IntegrationListingTests.directory(Self.manifests)
        defer { try? FileManager.default.removeItem(at: root) }
        let (status, lines, _) = try Self.run([root.path, "deploy", "deploy", "x", "--platform", "slack"])
        #expect(status == 1)
        #expect(lines.contains(#"  rules[0].all[0].match: "deploy" equals "deploy""#))
        #expect(lines.contains(#"  rules[0].all[1].regex: "deploy x" did not match ^deploy (prod|staging)$"#))
        #expect(lines.contains("  rules[0].all: did not hold: all[1] did not"))
        #expect(lines.contains { $0.hasPrefix("  rules[0]: did not hold: the run ends with 400 ") })
        #expect(lines.contains("response:"), "one platform: one response")
        #expect(!lines.contains("  hipchat: 200 OK"))
        #expect(lines.contains("storage: unchanged"))
        #expect(lines.last == "result: failed or nothing matched")

        let unknown = try Self.run([root.path, "nothing"])
        #expect(unknown.status == 1)
        #expect(unknown.lines.contains("integration: none"))
    }

    @Test func aRouteIsAnsweredAsTheHostAnswersItWithTheSignatureExplained() throws {
        let root = try IntegrationListingTests.directory(Self.manifests)
        defer { try? FileManager.default.removeItem(at: root) }
        let body = root.appendingPathComponent("body.json")
        let bytes = Array(#"{"kind": "push"}"#.utf8)
        try Data(bytes).write(to: body)
        let common = [root.path, "--route", "POST", "/hooks/hook", "--body", body.path, "--header", "Content-Type: application/json"]

        let missing = try Self.run(common + ["--tokens", "hook_secret:\(Self.hookSecret)"])
        #expect(missing.status == 1)
        #expect(missing.lines.contains("  rules[0].signature: header X-Hub-Signature-256 missing"))
        #expect(missing.lines.contains("  401 Unauthorized"))
        #expect(missing.lines.contains(#"    {"error":"hook: bad signature"}"#))

        let digest = Crypto.Encoding.hex(HMACSHA256.authenticationCode(for: bytes, key: Array(Self.hookSecret.utf8)))
        let signed = try Self.run(
            common + ["--header", "X-Hub-Signature-256:sha256=\(digest)", "--tokens", "hook_secret:\(Self.hookSecret)"])
        #expect(signed.status == 0)
        #expect(signed.lines.contains("  rules[0].signature: header X-Hub-Signature-256 holds the secret"))
        #expect(signed.lines.contains { $0.hasPrefix("  actions[0].exec: exit 0 in ") && $0.hasSuffix(" ms") })
        #expect(signed.lines.contains(#"  actions[1].if.match: "push" is not "never""#))
        #expect(signed.lines.contains("  actions[1]: skipped: its if did not hold"))
        #expect(signed.lines.contains(#"  actions[2].reply: 201 {"kind":"push","ok":true}"#))
        #expect(signed.lines.contains("  201 Created"))
        for output in [missing, signed] {
            #expect(!output.lines.joined().contains(Self.hookSecret), "the secret is never printed")
        }
    }

    @Test func stateIsReadAndWrittenBackOnlyWithSaveState() throws {
        let root = try IntegrationListingTests.directory(Self.manifests)
        defer { try? FileManager.default.removeItem(at: root) }
        let state = root.appendingPathComponent("storage.json")
        try Data(#"{"karma": {"ada": 41}}"#.utf8).write(to: state)

        let dry = try Self.run([root.path, "karma", "ada++", "--state", state.path])
        #expect(dry.status == 0)
        #expect(dry.lines.contains("  karma.ada: 41 → 42"))
        #expect(try JSONValue(parsing: Array(Data(contentsOf: state))) == ["karma": ["ada": 41]], "not written back")

        let saved = try Self.run([root.path, "karma", "ada++", "--state", state.path, "--save-state"])
        #expect(saved.status == 0)
        #expect(saved.lines.contains("storage saved to \(state.path)"))
        #expect(try JSONValue(parsing: Array(Data(contentsOf: state))) == ["karma": ["ada": 42]])
    }

    @Test(arguments: [
        ([], "test needs a DIR"),
        (["DIR"], "test needs a COMMAND (or --route METHOD PATH)"),
        (["DIR", "karma", "--platform", "irc"], "--platform must be one of hipchat, slack, mattermost, teams; got 'irc'"),
        (["DIR", "--route", "POST"], "--route METHOD needs a value"),
        (["DIR", "--route", "GET", "/healthz"], "--route /healthz runs no integration: try /hooks/NAME, an integration's route or a platform path"),
        (["DIR", "karma", "--save-state"], "--save-state needs --state FILE"),
        (["DIR", "karma", "--state", "/nonexistent-ih/state.json"], "--state '/nonexistent-ih/state.json' does not exist (with --save-state it is created)"),
        (["DIR", "karma", "--header", "X:1"], "--body and --header are for --route"),
        (["DIR", "../karma"], "COMMAND must match [A-Za-z0-9_-]{1,64}, got '../karma'"),
        (["DIR", "karma", "--frobnicate"], "unknown option --frobnicate for test"),
    ])
    func usageErrorsExitTwo(_ arguments: [String], _ message: String) throws {
        let root = try IntegrationListingTests.directory(Self.manifests)
        defer { try? FileManager.default.removeItem(at: root) }
        let (status, lines, stderr) = try Self.run(arguments.map { $0 == "DIR" ? root.path : $0 })
        #expect(status == 2)
        #expect(lines.isEmpty)
        #expect(stderr.contains("error: \(message)\n"), "\(stderr)")
    }
}
