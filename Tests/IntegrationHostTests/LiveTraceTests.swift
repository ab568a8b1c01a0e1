import Foundation
import JSON
import Testing
import TestSupport

/// The evaluation trace of a live request (issue 16, item 2): for admins with `X-Integration-Trace: 1`, in the
/// `X-Integration-Trace` response header; in the log at debug; never for anyone else.
@Suite struct LiveTraceTests {
    static let adminToken = "trace-admin-token-0123456789"
    static let secret = "trace-room-secret-0123456789"
    static let files = [
        "deploy.json": #"""
            {"routes": ["/deploy/<env>"],
             "rules": [{"regex": {"value": "{{param.env}}", "pattern": "^(prod|staging)$"},
                        "on_mismatch": {"status": 404, "message": "no such environment"}},
                       {"match": {"value": "{{header.X-Key}}", "equals": "{{tokens.key}}"}}],
             "actions": [{"reply": "deploying {{param.env}}"}]}
            """#,
        "chatty.json": """
            {"actions": [\(Array(repeating: #"{"set": {"x": "a fairly long value to make the trace long"}}"#, count: 200).joined(separator: ",")),
                         {"reply": "done"}]}
            """,
    ]

    @Test func anAdminAsksAndGetsTheTraceInAHeader() async throws {
        let host = try TestHost(files: Self.files, tokens: ["key:\(Self.secret)"], adminToken: Self.adminToken)
        let admin = ["Authorization": "Bearer \(Self.adminToken)", "X-Integration-Trace": "1", "X-Key": Self.secret]
        let answer = try await host.request("POST", "/deploy/prod", headers: admin)
        #expect(answer.status == 200)
        let header = try #require(answer.headers["x-integration-trace"])
        let trace = try JSONValue(parsing: Array(header.utf8))
        #expect(trace == [
            #"rules[0].regex: "prod" matched ^(prod|staging)$"#,
            #"rules[1].match: "[redacted]" equals "[redacted]""#,
            #"actions[0].reply: 200 "deploying prod""#,
        ], "secrets are redacted as in the log")

        let refused = try await host.request("POST", "/deploy/qa", headers: admin)
        #expect(refused.status == 404)
        let refusedTrace = try JSONValue(parsing: Array(try #require(refused.headers["x-integration-trace"]).utf8))
        #expect(refusedTrace == [
            #"rules[0].regex: "qa" did not match ^(prod|staging)$"#,
            #"rules[0]: did not hold: the run ends with 404 "no such environment""#,
        ])
        #expect(await eventually { host.log.contains(#"trace rules[0].regex: "qa" did not match ^(prod|staging)$"#) },
                "at debug, each request's trace is logged")
        await host.stop()
    }

    @Test func withoutTheAdminTokenTheAnswerIsTheSameAndHasNoTrace() async throws {
        let host = try TestHost(files: Self.files, tokens: ["key:\(Self.secret)"], adminToken: Self.adminToken)
        let plain = try await host.request("POST", "/deploy/qa")
        for credentials in [[:], ["Authorization": "Bearer wrong"], ["Authorization": Self.adminToken]] {
            let answer = try await host.request("POST", "/deploy/qa", headers: credentials.merging(["X-Integration-Trace": "1"]) { $1 })
            #expect(answer.status == plain.status)
            #expect(answer.body == plain.body)
            #expect(answer.headers["x-integration-trace"] == nil)
        }
        let notAsked = try await host.request("POST", "/deploy/qa", headers: ["Authorization": "Bearer \(Self.adminToken)"])
        #expect(notAsked.headers["x-integration-trace"] == nil, "an admin who does not ask gets none")
        await host.stop()
    }

    @Test func aLongTraceIsCutToFitAHeader() async throws {
        let host = try TestHost(files: Self.files, adminToken: Self.adminToken)
        let answer = try await host.request(
            "POST", "/hooks/chatty", headers: ["Authorization": "Bearer \(Self.adminToken)", "X-Integration-Trace": "1"])
        #expect(answer.status == 200)
        let header = try #require(answer.headers["x-integration-trace"])
        #expect(header.utf8.count <= 3072)
        #expect(header.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F })
        let entries = try #require(try JSONValue(parsing: Array(header.utf8)).arrayValue)
        #expect(entries.first == "actions[0].set: done")
        #expect(entries.last?.stringValue?.hasSuffix("more entries") == true)
        await host.stop()
    }
}
