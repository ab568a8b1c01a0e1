import Foundation
import HTTPServer
import JSON
import Testing
import TestSupport

@testable import HostApp

/// Request body limits per route, decided from the request head before the body is read: webhook routes take
/// `--max-body` (default 1 MiB) or their manifest's `limits.body_mib`; chat routes keep 1 MiB. GitHub sends
/// payloads of up to 25 MB (https://docs.github.com/en/webhooks/webhook-events-and-payloads#payload-cap).
/// Also the server's own refusals carrying `X-Request-Id`, and `OPTIONS` (RFC 9110 §9.3.7), through the real host.
@Suite struct BodyLimitTests {
    static let bigManifest = #"""
        {"description": "takes GitHub's largest pushes", "commands": [], "routes": ["/ingest/github"],
         "limits": {"body_mib": 25},
         "actions": [{"reply": "{{payload.repository.full_name}}: {{payload.head_commit.message}} ({{header.Content-Length}} bytes)"}]}
        """#
    static let smallManifest = #"""
        {"description": "the default limit", "commands": [], "actions": [{"reply": "{{payload.repository.full_name}}"}]}
        """#

    /// A GitHub-style push of about 20 MiB: a real document, padded with commits.
    static func pushDocument(bytes: Int) -> [UInt8] {
        let commit = #"{"id":"0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c","message":"Update README.md","added":[],"removed":[],"modified":["README.md"]}"#
        var text = #"{"ref":"refs/heads/main","repository":{"full_name":"octo/hello"},"head_commit":{"message":"Fix the thing"},"commits":["#
        let count = bytes / (commit.utf8.count + 1)
        text += Array(repeating: commit, count: count).joined(separator: ",") + "]}"
        return Array(text.utf8)
    }

    struct CurlAnswer {
        let status: Int
        let headers: String
        let body: String

        /// The last value of header `name` (any case) in the final response.
        func header(_ name: String) -> String? {
            headers.split(whereSeparator: \.isNewline).last { $0.lowercased().hasPrefix(name.lowercased() + ":") }
                .map { $0.dropFirst(name.count + 1).trimmingCharacters(in: .whitespaces) }
        }
    }

    /// The curl binary, so requests can carry what URLSession will not send (`OPTIONS *`, `BREW`) and wait for
    /// `100 Continue` before a large body. It runs on a thread of its own: waiting for it on the cooperative pool
    /// would starve every other test in the process.
    static func curl(_ arguments: [String], in directory: URL) async throws -> CurlAnswer {
        try await ClientDisconnectTests.offPool { try runCurl(arguments, in: directory) }
    }

    private static func runCurl(_ arguments: [String], in directory: URL) throws -> CurlAnswer {
        let headers = directory.appendingPathComponent("headers-\(UUID().uuidString)")
        let body = directory.appendingPathComponent("body-\(UUID().uuidString)")
        let result = try Subprocess.run(
            "/usr/bin/curl",
            ["-s", "--max-time", "60", "--expect100-timeout", "30", "-D", headers.path, "-o", body.path, "-w", "%{http_code}"]
                + arguments)
        let answer = CurlAnswer(
            status: Int(result.stdoutText) ?? -1, headers: (try? String(contentsOf: headers, encoding: .utf8)) ?? "",
            body: (try? String(contentsOf: body, encoding: .utf8)) ?? "")
        try? FileManager.default.removeItem(at: headers)
        try? FileManager.default.removeItem(at: body)
        return answer
    }

    /// GitHub caps payloads at 25 MB (https://docs.github.com/en/webhooks/webhook-events-and-payloads#payload-cap).
    @Test func webhookRoutesTakeTheirOwnLimitChatRoutesKeepTheSmallOne() async throws {
        let directory = Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let integrations = directory.appendingPathComponent("integrations")
        try FileManager.default.createDirectory(at: integrations, withIntermediateDirectories: true)
        try Self.bigManifest.write(to: integrations.appendingPathComponent("big.json"), atomically: true, encoding: .utf8)
        try Self.smallManifest.write(to: integrations.appendingPathComponent("small.json"), atomically: true, encoding: .utf8)
        let document = Self.pushDocument(bytes: 20 << 20)
        let file = directory.appendingPathComponent("push.json")
        try Data(document).write(to: file)
        // Over the 1 MiB default too, but cheaper to parse on a busy machine, for the routes that need not prove size.
        let smaller = Self.pushDocument(bytes: 2 << 20)
        let smallerFile = directory.appendingPathComponent("push-2mib.json")
        try Data(smaller).write(to: smallerFile)
        let host = try ManifestHost(directory: integrations, tokens: ["slack_signing_secret:s3cret-signing"])
        let base = "http://127.0.0.1:\(host.server.port)"
        let headers = ["-H", "Content-Type: application/json", "-H", "X-GitHub-Event: push"]
        let post = headers + ["--data-binary", "@\(file.path)"]
        let postSmaller = headers + ["--data-binary", "@\(smallerFile.path)"]

        let taken = try await Self.curl(post + ["-H", "Expect:", base + "/hooks/big"], in: directory)
        #expect(taken.status == 200, "\(taken.body)")
        #expect(taken.body == "octo/hello: Fix the thing (\(document.count) bytes)")
        let routed = try await Self.curl(postSmaller + ["-H", "Expect:", base + "/ingest/github"], in: directory)
        #expect(routed.status == 200, "\(routed.body)")
        #expect(routed.body == "octo/hello: Fix the thing (\(smaller.count) bytes)")
        // Over the limit: refused from the head, before the body is sent, with the caller's request id.
        for path in ["/slack", "/hooks/small", "/hooks/nobody"] {
            let refused = try await Self.curl(post + ["-H", "Expect: 100-continue", "-H", "X-Request-Id: caller-413", base + path], in: directory)
            #expect(refused.status == 413, "\(path)")
            #expect(refused.header("X-Request-Id") == "caller-413", "\(path): \(refused.headers)")
            #expect((try? JSONValue(parsing: Array(refused.body.utf8)))?["error"] != nil)
        }
        await host.stop()

        // `--max-body` raises the limit of every webhook route; chat routes keep theirs.
        let raised = try ManifestHost(
            directory: integrations, tokens: ["slack_signing_secret:s3cret-signing"], webhookBodyLimit: 25 << 20)
        let raisedBase = "http://127.0.0.1:\(raised.server.port)"
        let small = try await Self.curl(postSmaller + ["-H", "Expect:", raisedBase + "/hooks/small"], in: directory)
        #expect(small.status == 200 && small.body == "octo/hello")
        let slack = try await Self.curl(post + ["-H", "Expect: 100-continue", raisedBase + "/slack"], in: directory)
        #expect(slack.status == 413)
        await raised.stop()
    }

    /// The server's own refusals carry `X-Request-Id` as every other answer does; `OPTIONS *` is answered 200 with
    /// the methods the server takes, `OPTIONS /path` with the path's (RFC 9110 §9.3.7).
    @Test func refusalsCarryARequestIdAndOptionsAreAnswered() async throws {
        let directory = Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let host = try ManifestHost(tokens: ["slack_signing_secret:s3cret-signing"])
        let base = "http://127.0.0.1:\(host.server.port)"

        let brew = try await Self.curl(["-X", "BREW", base + "/hooks/echo"], in: directory)
        #expect(brew.status == 501)
        #expect(brew.header("X-Request-Id")?.count == 16, "\(brew.headers)")

        let everything = try await Self.curl(["-X", "OPTIONS", "--request-target", "*", base], in: directory)
        #expect(everything.status == 200 && everything.body.isEmpty)
        #expect(everything.header("Allow") == "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT")
        #expect(everything.header("X-Request-Id") != nil)

        let slack = try await Self.curl(["-X", "OPTIONS", base + "/slack"], in: directory)
        #expect(slack.status == 200 && slack.header("Allow") == "OPTIONS, POST")
        let health = try await Self.curl(["-X", "OPTIONS", base + "/healthz"], in: directory)
        #expect(health.status == 200 && health.header("Allow")?.contains("GET") == true)
        let hook = try await Self.curl(["-X", "OPTIONS", base + "/hooks/echo"], in: directory)
        #expect(hook.status == 200 && hook.header("Allow")?.contains("POST") == true)
        let deploy = try await Self.curl(["-X", "OPTIONS", base + "/deploy/prod"], in: directory)
        #expect(deploy.status == 200, "\(deploy.body)")
        let nowhere = try await Self.curl(["-X", "OPTIONS", base + "/nowhere"], in: directory)
        #expect(nowhere.status == 404)
        // Anything else a path does not take is still 405.
        let put = try await Self.curl(["-X", "PUT", base + "/slack"], in: directory)
        #expect(put.status == 405 && put.header("Allow") == "POST")
        await host.stop()
    }
}
