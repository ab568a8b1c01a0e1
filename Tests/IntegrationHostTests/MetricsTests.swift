import Foundation
@testable import HostApp
import HostCore
import JSON
import Testing
import TestSupport

/// `GET /metrics` through the real host: well-formed Prometheus text (0.0.4), parsed strictly here, with values
/// that follow known requests; admins only unless `--metrics-public`.
@Suite struct MetricsTests {
    static let admin = "admin-token-0123456789"
    static let files = [
        "echo.json": #"{"description": "echo", "actions": [{"reply": "{{query}}"}]}"#,
        "count.json": #"{"description": "count", "actions": [{"store": {"op": "increment", "key": "hits"}, "into": "n"}, {"reply": "n={{n}}"}]}"#,
        "fail.json": #"{"description": "fails", "actions": [{"exec": {"argv": ["/bin/false"], "timeout": 10}}]}"#,
    ]

    /// One sample: metric name, labels, value.
    struct Sample: Equatable {
        let name: String
        let labels: [String: String]
        let value: Double
    }

    /// A strict reader of the text format: every line is `# HELP name text`, `# TYPE name type` or a sample of a
    /// family whose TYPE came first; names and label names are well-formed, label values properly escaped,
    /// values numbers (or `+Inf`); each family's HELP and TYPE appear once. Records an issue for anything else.
    static func parse(_ text: String) -> [Sample] {
        #expect(text.hasSuffix("\n"))
        var types: [String: String] = [:]
        var helped: Set<String> = []
        var samples: [Sample] = []
        let name = /[a-zA-Z_:][a-zA-Z0-9_:]*/
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
            if line.hasPrefix("# HELP ") {
                let parts = line.dropFirst(7).split(separator: " ", maxSplits: 1)
                #expect(parts.count == 2 && parts[0].wholeMatch(of: name) != nil, "bad HELP: \(line)")
                #expect(helped.insert(String(parts[0])).inserted, "HELP twice: \(line)")
            } else if line.hasPrefix("# TYPE ") {
                let parts = line.dropFirst(7).split(separator: " ")
                #expect(parts.count == 2 && ["counter", "gauge", "histogram"].contains(parts[1]), "bad TYPE: \(line)")
                #expect(types.updateValue(String(parts[1]), forKey: String(parts[0])) == nil, "TYPE twice: \(line)")
            } else {
                guard let sample = parseSample(line) else {
                    Issue.record("bad sample line: \(line)")
                    continue
                }
                let family = types[sample.name] != nil ? sample.name
                    : ["_bucket", "_sum", "_count"].compactMap { suffix in
                        sample.name.hasSuffix(suffix) ? String(sample.name.dropLast(suffix.count)) : nil
                    }.first { types[$0] == "histogram" }
                #expect(family != nil, "sample before its TYPE: \(line)")
                samples.append(sample)
            }
        }
        #expect(Set(types.keys) == helped)
        return samples
    }

    /// `name{label="value",…} value`, with `\\`, `\"` and `\n` the only escapes.
    static func parseSample(_ line: Substring) -> Sample? {
        var rest = line[...]
        let name = String(rest.prefix { $0.isLetter || $0.isNumber || $0 == "_" || $0 == ":" })
        guard !name.isEmpty, !name.first!.isNumber else { return nil }
        rest = rest.dropFirst(name.count)
        var labels: [String: String] = [:]
        if rest.first == "{" {
            rest = rest.dropFirst()
            while rest.first != "}" {
                let label = String(rest.prefix { $0.isLetter || $0.isNumber || $0 == "_" })
                guard !label.isEmpty, rest.dropFirst(label.count).hasPrefix("=\"") else { return nil }
                rest = rest.dropFirst(label.count + 2)
                var value = ""
                while true {
                    guard let character = rest.first else { return nil }
                    rest = rest.dropFirst()
                    if character == "\"" { break }
                    if character == "\\" {
                        switch rest.first {
                        case "\\": value.append("\\")
                        case "\"": value.append("\"")
                        case "n": value.append("\n")
                        default: return nil
                        }
                        rest = rest.dropFirst()
                    } else {
                        guard character != "\n" else { return nil }
                        value.append(character)
                    }
                }
                guard labels.updateValue(value, forKey: label) == nil else { return nil }
                if rest.first == "," { rest = rest.dropFirst() } else if rest.first != "}" { return nil }
            }
            rest = rest.dropFirst()
        }
        guard rest.first == " " else { return nil }
        let text = rest.dropFirst()
        guard let value = text == "+Inf" ? Double.infinity : Double(text), !text.contains(" ") else { return nil }
        return Sample(name: name, labels: labels, value: value)
    }

    func metrics(_ host: TestHost, headers: [String: String] = ["Authorization": "Bearer \(admin)"]) async throws -> [Sample] {
        let answer = try await host.request("GET", "/metrics", headers: headers)
        #expect(answer.status == 200)
        #expect(answer.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8")
        return Self.parse(String(decoding: answer.body, as: UTF8.self))
    }

    func value(_ samples: [Sample], _ name: String, _ labels: [String: String] = [:]) -> Double? {
        samples.first { $0.name == name && $0.labels == labels }?.value
    }

    @Test func countsFollowKnownRequests() async throws {
        let host = try TestHost(files: Self.files, adminToken: Self.admin)
        defer { Task { await host.stop() } }
        for _ in 1...3 { #expect(try await host.request("POST", "/hooks/echo", body: Array("x".utf8)).status == 200) }
        for _ in 1...2 { #expect(try await host.request("POST", "/hooks/count").status == 200) }
        let failed = try await host.request("POST", "/hooks/fail").status
        #expect(failed >= 500)
        #expect(try await host.request("GET", "/nowhere").status == 404)
        #expect(try await host.request("GET", "/healthz").status == 200)

        let samples = try await metrics(host)
        let requests = "integration_host_http_requests_total"
        #expect(value(samples, requests, ["route": "/hooks/<name>", "code": "200"]) == 5)
        #expect(value(samples, requests, ["route": "/hooks/<name>", "code": String(failed)]) == 1)
        #expect(value(samples, requests, ["route": "other", "code": "404"]) == 1)
        #expect(value(samples, requests, ["route": "/healthz", "code": "200"]) == 1)
        #expect(value(samples, "integration_host_integration_runs_total", ["integration": "echo"]) == 3)
        #expect(value(samples, "integration_host_integration_runs_total", ["integration": "count"]) == 2)
        #expect(value(samples, "integration_host_integration_failures_total", ["integration": "fail"]) == 1)
        #expect(value(samples, "integration_host_integration_failures_total", ["integration": "echo"]) == 0)

        let histogram = "integration_host_integration_run_duration_seconds"
        let buckets = samples.filter { $0.name == "\(histogram)_bucket" && $0.labels["integration"] == "echo" }
        #expect(buckets.count == RunStatistics.histogramBounds.count + 1)
        #expect(buckets.last?.labels["le"] == "+Inf")
        #expect(buckets.last?.value == 3)
        #expect(zip(buckets, buckets.dropFirst()).allSatisfy { $0.value <= $1.value })
        #expect(value(samples, "\(histogram)_count", ["integration": "echo"]) == 3)
        #expect((value(samples, "\(histogram)_sum", ["integration": "echo"]) ?? -1) >= 0)

        #expect(value(samples, "integration_host_storage_keys", ["integration": "count"]) == 1)
        #expect(value(samples, "integration_host_storage_bytes", ["integration": "count"]) == Double("hits".utf8.count + "2".utf8.count))
        #expect(value(samples, "integration_host_integrations_loaded") == 3)
        #expect(value(samples, "integration_host_exec_slots_in_use") == 0)
        #expect(value(samples, "integration_host_late_replies_pending") == 0)
        #expect(value(samples, "integration_host_delivery_log_records", ["integration": "echo"]) == 3)

        // The metrics request itself is counted once it is answered.
        let again = try await metrics(host)
        #expect(value(again, requests, ["route": "/metrics", "code": "200"]) == 1)
    }

    /// Late replies: one the chat API refuses is counted as failed, one it takes as delivered, none left pending.
    @Test func lateRepliesAreCountedByOutcome() async throws {
        for (status, outcome) in [(400, "failed"), (204, "delivered")] {
            let api = RecordingServer(status: status)
            let apiURL = try api.start()
            let host = try TestHost(
                files: ["echo.scripted": #"{"reply": "pong {query}"}"#], tokens: ["1234:echo:ROOMTOKEN"],
                hipchatAPI: apiURL)
            let response = try await host.request("POST", "/", body: try Fixtures.bytes("hipchat/room_message.json"))
            #expect(response.status == 204)
            #expect(await api.waitFor(1).count == 1)
            let counted = await eventually {
                guard let samples = try? await metrics(host, headers: [:]) else { return false }
                return value(samples, "integration_host_late_replies_total", ["outcome": outcome]) == 1
                    && value(samples, "integration_host_late_replies_pending") == 0
            }
            #expect(counted, "\(outcome)")
            let samples = try await metrics(host, headers: [:])
            #expect(value(samples, "integration_host_late_replies_total", ["outcome": outcome == "failed" ? "delivered" : "failed"]) == 0)
            await host.stop()
            await api.stop()
        }
    }

    @Test func adminsOnlyUnlessPublic() async throws {
        let closed = try TestHost(files: Self.files, adminToken: Self.admin)
        defer { Task { await closed.stop() } }
        let refused = try await closed.request("GET", "/metrics")
        #expect(refused.status == 401)
        #expect(refused.headers["www-authenticate"] == "Bearer")
        #expect(try JSONValue(parsing: refused.body)["error"]?.stringValue != nil)
        #expect(try await closed.request("GET", "/metrics", headers: ["Authorization": "Bearer wrong"]).status == 401)

        let open = try TestHost(files: Self.files, adminToken: Self.admin) { $0.metricsPublic = true }
        defer { Task { await open.stop() } }
        #expect(try await metrics(open, headers: [:]).contains { $0.name == "integration_host_integrations_loaded" })
    }

    @Test func labelValuesAndHelpAreEscaped() {
        var text = PrometheusText()
        let odd = #"a\b"c"# + "\nd"
        text.family("odd_total", "counter", help: "help with \\ and\na newline")
        text.sample("odd_total", [("route", odd)], 2)
        #expect(text.text.hasPrefix("# HELP odd_total help with \\\\ and\\na newline\n"))
        let samples = Self.parse(text.text)
        #expect(samples == [Sample(name: "odd_total", labels: ["route": odd], value: 2)])
    }
}
