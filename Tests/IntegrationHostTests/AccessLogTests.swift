import Foundation
import JSON
import Testing
import TestSupport

/// The access log through the real binary: one line per request, successes included, without the query string;
/// `LOG_FORMAT=json` makes every line a JSON object, redacted and escaped like text lines.
@Suite struct AccessLogTests {
    static let secret = "hooksecret-0123456789"

    /// Runs the binary over a directory holding `echo.json` with `environment` added, sends `requests`, stops it
    /// with SIGTERM and returns its stderr.
    func runHost(environment: [String: String], requests: (String) async throws -> Void) async throws -> String {
        let root = try CommandLineTests.freshDirectory("ih-access")
        defer { try? FileManager.default.removeItem(at: root) }
        let echo = #"{"description": "echo", "actions": [{"reply": "{{query}}"}]}"#
        try echo.write(to: root.appendingPathComponent("echo.json"), atomically: true, encoding: .utf8)
        let log = root.appendingPathComponent("host.log")
        let arguments = CommandLineTests.runArguments(directory: root, log: log)
            + ["--state-dir", root.path, "--tokens", "echo_token:\(Self.secret)"]
        var variables = ProcessInfo.processInfo.environment
        for (name, value) in environment { variables[name] = value }
        let process = try Subprocess(
            CommandLineTests.binary.path, arguments, environment: variables.map { "\($0.key)=\($0.value)" })
        var finished = false
        defer { if !finished { kill(process.pid, SIGKILL); _ = process.finish() } }
        #expect(await eventually { ((try? String(contentsOf: log, encoding: .utf8)) ?? "").contains("listening on") })
        #expect(await eventually { CommandLineTests.catches(process.pid, [SIGTERM]) })
        try await requests("http://127.0.0.1:\(arguments[0])")
        kill(process.pid, SIGTERM)
        let result = process.finish()
        finished = true
        #expect(result.status == 0)
        return result.stderrText
    }

    @Test func everyRequestGetsATextLineWithoutItsQuery() async throws {
        let stderr = try await runHost(environment: ["LOG_LEVEL": "info"]) { base in
            let ok = try await TestHTTP.request(
                "POST", URL(string: "\(base)/hooks/echo?token=\(Self.secret)&x=1")!, body: Array("hello".utf8),
                headers: ["X-Request-Id": "access-ok"])
            #expect(ok.status == 200)
            let missing = try await TestHTTP.request(
                "GET", URL(string: "\(base)/nowhere")!, headers: ["X-Request-Id": "access-404"])
            #expect(missing.status == 404)
        }
        let lines = stderr.split(separator: "\n")
        let ok = try #require(lines.first { $0.contains("request=access-ok peer=") })
        #expect(ok.contains(" info request=access-ok peer=127.0.0.1 POST /hooks/echo -> 200 in "))
        #expect(ok.hasSuffix(" ms"))
        #expect(lines.contains { $0.contains(" info request=access-404 peer=127.0.0.1 GET /nowhere -> 404 in ") })
        #expect(!stderr.contains(Self.secret))
        #expect(!stderr.contains("token="))
    }

    @Test func jsonFormatWritesOneObjectALine() async throws {
        let stderr = try await runHost(environment: ["LOG_LEVEL": "debug", "LOG_FORMAT": "json"]) { base in
            let ok = try await TestHTTP.request(
                "POST", URL(string: "\(base)/hooks/echo?q=\(Self.secret)")!, body: Array("hello".utf8),
                headers: ["X-Request-Id": "json-ok"])
            #expect(ok.status == 200)
            // The path is logged: a secret in it is redacted, a control character escaped.
            let odd = try await TestHTTP.request(
                "GET", URL(string: "\(base)/x/\(Self.secret)/%0A%22q%22")!, headers: ["X-Request-Id": "json-odd"])
            #expect(odd.status == 404)
        }
        let lines = stderr.split(separator: "\n")
        #expect(lines.count >= 3)
        var objects: [[String: JSONValue]] = []
        for line in lines {
            guard case .object(let object) = try JSONValue(parsing: Array(line.utf8)) else {
                Issue.record("not a JSON object: \(line)")
                continue
            }
            #expect(object["ts"]?.stringValue?.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/) != nil)
            #expect(object["level"]?.stringValue != nil)
            #expect(object["msg"]?.stringValue != nil)
            objects.append(object)
        }
        let access = try #require(objects.first {
            $0["request"] == "json-ok" && $0["msg"]?.stringValue?.hasPrefix("POST /hooks/echo -> 200 in ") == true
        })
        #expect(access["level"] == "info")
        #expect(access["peer"] == "127.0.0.1")
        #expect(objects.contains { $0["msg"]?.stringValue?.hasPrefix("listening on 127.0.0.1:") == true })
        let odd = try #require(objects.first { $0["request"] == "json-odd" })
        #expect(odd["msg"]?.stringValue?.hasPrefix("GET /x/[redacted]/\n\"q\" -> 404 in ") == true)
        #expect(!stderr.contains(Self.secret))
    }
}
