import Crypto
import Foundation
import HTTPServer
import JSON
import Testing
import TestSupport

@testable import HostApp
@testable import HostCore
@testable import IntegrationContract
@testable import Logging
@testable import Manifests
@testable import Platforms
@testable import Plugins

@Suite struct RuleTests {
    /// Runs a manifest whose only action replies "ok" behind `rules`; returns the reply text or the error.
    private func outcome(_ rules: String, _ invocation: Invocation) async throws -> Result<Reply?, IntegrationError> {
        let manifest = try Fixtures.manifest(#"{"rules": \#(rules), "actions": [{"reply": "ok"}]}"#)
        do {
            return .success(try await manifest.run(invocation))
        } catch let error as IntegrationError {
            return .failure(error)
        }
    }

    private func passes(_ rules: String, _ invocation: Invocation = Fixtures.invocation()) async throws -> Bool {
        if case .success(let reply) = try await outcome(rules, invocation) { return reply?.text == "ok" }
        return false
    }

    private func status(_ rules: String, _ invocation: Invocation = Fixtures.invocation()) async throws -> Int? {
        if case .failure(let error) = try await outcome(rules, invocation) { return error.status.code }
        return nil
    }

    @Test func matchComparesRenderedValues() async throws {
        let invocation = Fixtures.invocation(query: "prod")
        #expect(try await passes(#"[{"match": {"value": "{{query}}", "equals": "prod"}}]"#, invocation))
        #expect(try await !passes(#"[{"match": {"value": "{{query}}", "equals": "dev"}}]"#, invocation))
        #expect(try await status(#"[{"match": {"value": "{{query}}", "equals": "dev"}}]"#, invocation) == 400)
    }

    @Test func regexCapturesBecomeVariables() async throws {
        let manifest = try Fixtures.manifest(#"""
            {"rules": [{"regex": {"value": "{{query}}", "pattern": "^(?<who>[a-z]+)(?<op>\\+\\+|--)$"}}],
             "actions": [{"reply": "{{who}} {{op}}"}]}
            """#)
        #expect(try await manifest.run(Fixtures.invocation(query: "ada++"))?.text == "ada ++")
        await #expect(throws: IntegrationError.self) { try await manifest.run(Fixtures.invocation(query: "ada+")) }
    }

    @Test func regexIgnoreCaseAndDefaultValueIsTheQuery() async throws {
        #expect(try await passes(#"{"regex": {"pattern": "^HELLO$", "ignore_case": true}}"#, Fixtures.invocation(query: "hello")))
        #expect(try await !passes(#"{"regex": {"pattern": "^HELLO$"}}"#, Fixtures.invocation(query: "hello")))
    }

    @Test func regexInputIsBounded() async throws {
        let rules = #"[{"regex": {"pattern": "a", "max_length": 10}}]"#
        #expect(try await passes(rules, Fixtures.invocation(query: "aaaaaaaaaa")))
        #expect(try await !passes(rules, Fixtures.invocation(query: "aaaaaaaaaaa")))
    }

    @Test(arguments: ["^(a+)+$", "(a|aa)+c", "(x+x+)+y", "^(\\w+\\s?)*$"])
    func pathologicalRegexGivesUpAtItsTimeLimit(pattern: String) async throws {
        // A pool of its own: on the shared one these matches would hold both threads while other tests' regexes,
        // whose limit counts their wait, queue behind them.
        let manifest = try Fixtures.manifest(#"""
            {"regex_timeout_ms": 100, "rules": [{"regex": {"pattern": \#(JSONValue.string(pattern).serialized())}}],
             "actions": [{"reply": "ok"}]}
            """#, runtime: ManifestRuntime(regexPool: RegexPool(threads: 1)))
        let input = String(repeating: pattern.contains("x") ? "x" : "a", count: 40) + "!"
        // The patterns run far longer than 100 ms on this input (until ICU gives up, after one to many seconds of
        // work, finding no match): a 503 can only come from the limit.
        await #expect(throws: IntegrationError.self) { try await manifest.run(Fixtures.invocation(query: input)) }
        do {
            _ = try await manifest.run(Fixtures.invocation(query: input))
        } catch let error as IntegrationError {
            #expect(error.status == 503)
        }
    }

    @Test func pathologicalRegexStopsWhenTheTaskIsCancelled() async throws {
        // ICU gives up on this backtracking only after some 15 s of work, finding no match; the limit is an hour: a
        // `.timedOut` can only come from the cancellation. (A manifest's limit is at most 1 s, hence the pool
        // itself.) The pool is the test's own, so the match is running when the test cancels it.
        let regex = try SafeRegex(pattern: "(x+x+)+y")
        let input = String(repeating: "x", count: 40) + "!"
        let pool = RegexPool(threads: 1)
        let finished = Flag()
        let task = Task {
            defer { finished.set() }
            return await pool.firstMatch(regex, in: input, timeout: .seconds(3600))
        }
        try #require(await eventually { pool.running == 1 })
        task.cancel()
        try #require(await eventually { finished.isSet }, "the cancelled match went on")
        #expect(await task.value == .timedOut)
    }

    @Test func githubSignatureHexWithPrefix() async throws {
        let vectors = try JSONValue(parsing: Data(contentsOf: Fixtures.sharedFixtures.appendingPathComponent("github/signing_vectors.json")))
        let push = try #require(vectors["push"])
        let body = Array(try #require(push["payload"]?.stringValue).utf8)
        let signature = try #require(push["x_hub_signature_256"]?.stringValue)
        setenv("MANIFEST_TEST_GH_SECRET", try #require(push["secret"]?.stringValue), 1)
        defer { unsetenv("MANIFEST_TEST_GH_SECRET") }
        let rules = #"[{"signature": {"header": "X-Hub-Signature-256", "secret": "{{env.MANIFEST_TEST_GH_SECRET}}", "prefix": "sha256="}}]"#
        func signed(_ header: String?, _ body: [UInt8]) -> Invocation {
            var headers: HTTPHeaders = [:]
            if let header { headers.add("X-Hub-Signature-256", header) }
            return Fixtures.invocation(request: Fixtures.request(headers: headers, body: body))
        }
        #expect(try await passes(rules, signed(signature, body)))
        #expect(try await status(rules, signed(signature, body + [0x20])) == 401)
        #expect(try await status(rules, signed(nil, body)) == 401)
        #expect(try await status(rules, signed(String(signature.dropFirst(7)), body)) == 401)
        #expect(try await status(rules, signed("sha256=zz", body)) == 401)
    }

    @Test func signatureBase64WithoutPrefix() async throws {
        let body = Array("hello".utf8)
        let digest = HMACSHA256.authenticationCode(for: body, key: Array("k3y".utf8))
        setenv("MANIFEST_TEST_B64", "k3y", 1)
        defer { unsetenv("MANIFEST_TEST_B64") }
        let rules = #"[{"signature": {"header": "X-Sig", "secret": "{{env.MANIFEST_TEST_B64}}", "encoding": "base64"}}]"#
        let good = Fixtures.invocation(request: Fixtures.request(headers: ["X-Sig": Crypto.Encoding.base64(digest)], body: body))
        let hex = Fixtures.invocation(request: Fixtures.request(headers: ["X-Sig": Crypto.Encoding.hex(digest)], body: body))
        #expect(try await passes(rules, good))
        #expect(try await !passes(rules, hex))
    }

    @Test func signatureWithAnEmptySecretFailsClosed() async throws {
        unsetenv("MANIFEST_TEST_NO_SECRET")
        let body = Array("x".utf8)
        let digest = HMACSHA256.authenticationCode(for: body, key: [UInt8]())
        let rules = #"[{"signature": {"header": "X-Sig", "secret": "{{env.MANIFEST_TEST_NO_SECRET | default: \"\"}}"}}]"#
        let invocation = Fixtures.invocation(request: Fixtures.request(headers: ["X-Sig": Crypto.Encoding.hex(digest)], body: body))
        #expect(try await status(rules, invocation) == 401)
    }

    @Test func tokenHeaderEquality() async throws {
        setenv("MANIFEST_TEST_TOKEN", "t0k", 1)
        defer { unsetenv("MANIFEST_TEST_TOKEN") }
        let rules = #"[{"token": {"header": "Authorization", "prefix": "Token ", "secret": "{{env.MANIFEST_TEST_TOKEN}}"}}]"#
        func with(_ value: String) -> Invocation {
            Fixtures.invocation(request: Fixtures.request(headers: ["Authorization": value]))
        }
        #expect(try await passes(rules, with("Token t0k")))
        #expect(try await status(rules, with("Token t0K")) == 401)
        #expect(try await status(rules, with("t0k")) == 401)
        #expect(try await status(rules, Fixtures.invocation()) == 401)
    }

    @Test func ipAllowList() async throws {
        func from(_ bytes: [UInt8]) -> Invocation {
            Fixtures.invocation(request: Fixtures.request(peer: PeerAddress(bytes: bytes, port: 1)))
        }
        let rules = #"[{"ip": ["10.1.0.0/16", "127.0.0.1", "fd00::/8"]}]"#
        #expect(try await passes(rules, from([10, 1, 200, 3])))
        #expect(try await passes(rules, from([127, 0, 0, 1])))
        #expect(try await passes(rules, from([0xFD] + [UInt8](repeating: 0, count: 14) + [1])))
        #expect(try await status(rules, from([10, 2, 0, 1])) == 403)
        #expect(try await status(rules, from([127, 0, 0, 2])) == 403)
        #expect(try await status(rules, from([0xFE] + [UInt8](repeating: 0, count: 15))) == 403)
        let mapped = [UInt8](repeating: 0, count: 10) + [0xFF, 0xFF, 10, 1, 0, 9]
        #expect(try await passes(rules, from(mapped)))
    }

    @Test func verifiedHoldsOnlyForARequestWhoseSenderThePlatformProved() async throws {
        let rules = #"[{"verified": true}]"#
        for proof in SenderProof.allCases {
            #expect(try await passes(rules, Fixtures.invocation(verifiedBy: proof)))
        }
        #expect(try await status(rules, Fixtures.invocation()) == 401)
        #expect(try await passes(#"[{"not": {"verified": true}}]"#, Fixtures.invocation()))
    }

    @Test func allAnyNot() async throws {
        let invocation = Fixtures.invocation(query: "b")
        let yes = #"{"match": {"value": "{{query}}", "equals": "b"}}"#
        let no = #"{"match": {"value": "{{query}}", "equals": "c"}}"#
        #expect(try await passes(#"{"all": [\#(yes), \#(yes)]}"#, invocation))
        #expect(try await !passes(#"{"all": [\#(yes), \#(no)]}"#, invocation))
        #expect(try await passes(#"{"any": [\#(no), \#(yes)]}"#, invocation))
        #expect(try await !passes(#"{"any": [\#(no), \#(no)]}"#, invocation))
        #expect(try await passes(#"{"not": \#(no)}"#, invocation))
        #expect(try await !passes(#"{"not": {"not": \#(no)}}"#, invocation))
    }

    @Test func onMismatchReplyOrErrorWithConfiguredStatus() async throws {
        let invocation = Fixtures.invocation(query: "x")
        let asReply = try await outcome(
            #"[{"match": {"value": "{{query}}", "equals": "y"}, "on_mismatch": {"status": 202, "reply": "ignored {{query}}"}}]"#,
            invocation)
        guard case .success(let reply?) = asReply else { Issue.record("expected a reply"); return }
        #expect(reply.text == "ignored x")
        #expect(reply.status == 202)
        let asError = try await outcome(
            #"[{"match": {"value": "{{query}}", "equals": "y"}, "on_mismatch": {"status": 418, "message": "no {{query}}"}}]"#,
            invocation)
        guard case .failure(let error) = asError else { Issue.record("expected an error"); return }
        #expect(error.status == 418)
        #expect(error.message == "no x")
    }

    @Test func topLevelOnMismatchIsTheDefaultAndRulesRunInOrder() async throws {
        let manifest = try Fixtures.manifest(#"""
            {"on_mismatch": {"status": 409, "message": "default"},
             "rules": [{"match": {"value": "{{query}}", "equals": "a"}},
                       {"match": {"value": "{{query}}", "equals": "b"}, "on_mismatch": {"status": 410}}],
             "actions": []}
            """#)
        do {
            _ = try await manifest.run(Fixtures.invocation(query: "z"))
            Issue.record("expected a mismatch")
        } catch let error as IntegrationError {
            #expect(error.status == 409)
            #expect(error.message == "default")
        }
    }
}
