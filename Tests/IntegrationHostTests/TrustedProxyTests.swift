import Foundation
import HTTPTypes
import HostApp
import JSON
import Testing
import TestSupport

/// `--trusted-proxy`: a trusted peer's `X-Forwarded-For` names the client that manifest `ip` rules, the admin
/// loopback rule and refusal pacing see; from any other peer, and without the flag, the header counts for nothing.
@Suite struct TrustedProxyTests {
    /// Answers only clients in 203.0.113.0/24.
    static let allowList = ["allow.json": #"{"rules": [{"ip": ["203.0.113.0/24"]}], "actions": [{"reply": "allowed"}]}"#]

    func hook(_ host: TestHost, forwardedFor: String?) async throws -> Int {
        let headers = forwardedFor.map { ["X-Forwarded-For": $0] } ?? [:]
        return try await host.request("POST", "/hooks/allow", body: Array("{}".utf8), headers: headers).status
    }

    /// One request with curl from source address `source` (127.0.0.2 is a second local address on Linux).
    func curlStatus(_ host: TestHost, from source: String, path: String, body: String, forwardedFor: String) throws -> String {
        let result = try Subprocess.run(
            "/usr/bin/curl",
            ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "30", "--interface", source,
             "-H", "X-Forwarded-For: \(forwardedFor)", "-H", "Content-Type: application/json", "--data-binary", body,
             host.baseURL + path])
        return result.stdoutText
    }

    @Test func aTrustedProxysForwardedForIsTheClientOfIPRules() async throws {
        let host = try TestHost(files: Self.allowList, trustedProxies: ["127.0.0.1/32", "::1"])
        defer { Task { await host.stop() } }
        #expect(try await hook(host, forwardedFor: "203.0.113.9") == 200)
        #expect(try await hook(host, forwardedFor: "198.51.100.1") == 403)
        // No header: the client is the proxy itself.
        #expect(try await hook(host, forwardedFor: nil) == 403)
        // The rightmost address that is not a trusted proxy is the client; what lies left of it is the client's claim.
        #expect(try await hook(host, forwardedFor: "203.0.113.9, 198.51.100.1") == 403)
        #expect(try await hook(host, forwardedFor: "198.51.100.1, 203.0.113.9") == 200)
        #expect(try await hook(host, forwardedFor: "garbage, 203.0.113.9:4711, 127.0.0.1") == 200)
        #expect(try await hook(host, forwardedFor: "203.0.113.9, [::1]:443") == 200)
        // A trusted proxy's entry that is no address where one had to be read: 400, never the proxy's own address.
        let malformed = try await host.request(
            "POST", "/hooks/allow", body: Array("{}".utf8), headers: ["X-Forwarded-For": "203.0.113.9, unknown"])
        #expect(malformed.status == 400)
        let error = try JSONValue(parsing: malformed.body)["error"]?.stringValue ?? ""
        #expect(error.contains("X-Forwarded-For from trusted proxy 127.0.0.1 holds 'unknown'"))
    }

    @Test func anUntrustedPeersForwardedForIsIgnored() async throws {
        let host = try TestHost(files: Self.allowList, trustedProxies: ["127.0.0.1/32"])
        defer { Task { await host.stop() } }
        #expect(try curlStatus(host, from: "127.0.0.1", path: "/hooks/allow", body: "{}", forwardedFor: "203.0.113.9") == "200")
        #expect(try curlStatus(host, from: "127.0.0.2", path: "/hooks/allow", body: "{}", forwardedFor: "203.0.113.9") == "403")
    }

    @Test func withoutTheFlagForwardedForIsIgnored() async throws {
        let host = try TestHost(files: [
            "allow.json": #"{"rules": [{"ip": ["203.0.113.0/24"]}], "actions": [{"reply": "allowed"}]}"#,
            "local.json": #"{"rules": [{"ip": ["127.0.0.1"]}], "actions": [{"reply": "local"}]}"#,
        ])
        defer { Task { await host.stop() } }
        #expect(try await hook(host, forwardedFor: "203.0.113.9") == 403)
        let local = try await host.request(
            "POST", "/hooks/local", body: Array("{}".utf8), headers: ["X-Forwarded-For": "198.51.100.1, unknown"])
        #expect(local.status == 200)
    }

    @Test func theAdminLoopbackRuleSeesTheForwardedClient() async throws {
        let host = try TestHost(trustedProxies: ["127.0.0.1/32"])
        defer { Task { await host.stop() } }
        func erase(_ forwardedFor: String?) async throws -> Int {
            let headers = forwardedFor.map { ["X-Forwarded-For": $0] } ?? [:]
            return try await host.request("POST", "/", body: Array("erase".utf8), headers: headers).status
        }
        // A remote client through the proxy is not loopback; a client on the proxy's own machine is.
        #expect(try await erase("203.0.113.9") == 403)
        #expect(try await erase("127.0.0.1") == 200)
        #expect(try await host.request("GET", "/integrations", headers: ["X-Forwarded-For": "203.0.113.9"]).status == 401)
        #expect(try await host.request("GET", "/integrations", headers: ["X-Forwarded-For": "127.0.0.1"]).status == 200)
        // Signs of a browser or an unread proxy header still refuse.
        #expect(try await host.request("POST", "/", body: Array("erase".utf8),
            headers: ["X-Forwarded-For": "127.0.0.1", "Forwarded": "for=203.0.113.9"]).status == 403)
        // From an untrusted peer the header is unread, and refuses as it always did.
        #expect(try curlStatus(host, from: "127.0.0.2", path: "/", body: "erase", forwardedFor: "127.0.0.1") == "403")
        #expect(host.log.contains("admin command refused for 203.0.113.9"))
    }

    @Test func withoutTheFlagTheAdminLoopbackRuleRefusesForwardedRequests() async throws {
        let host = try TestHost()
        defer { Task { await host.stop() } }
        #expect(try await host.request("POST", "/", body: Array("erase".utf8), headers: ["X-Forwarded-For": "127.0.0.1"]).status == 403)
        #expect(try await host.request("POST", "/", body: Array("erase".utf8)).status == 200)
    }

    /// Refusal pacing counts the forwarded client, not the proxy every client shares.
    @Test func refusalPacingCountsTheForwardedClient() async throws {
        let host = try TestHost(files: ["full.scripted": #"{"busy": "full up"}"#], trustedProxies: ["127.0.0.1/32"])
        defer { Task { await host.stop() } }
        let held = "198.51.100.7 keeps coming back before Retry-After; its 503s are held"
        let paced = await eventually(timeout: .seconds(120)) {
            _ = try? await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<25 {
                    group.addTask {
                        try await host.request(
                            "POST", "/hipchat", body: try Fixtures.hipchat(message: "/full"),
                            headers: ["X-Forwarded-For": "198.51.100.7"]).status
                    }
                }
                return try await group.reduce(0) { $0 + $1 }
            }
            return host.log.contains(held)
        }
        #expect(paced)
        #expect(!host.log.contains("127.0.0.1 keeps coming back"))
    }

    @Test func forwardedForEntries() {
        let proxies = TrustedProxies([IPRange("10.0.0.0/8")!, IPRange("fd00::/8")!])
        let proxy = PeerAddress(literal: "10.1.2.3")!
        func client(_ values: [String], from peer: PeerAddress = proxy) -> String? {
            guard case .address(let address, _) = proxies.client(of: peer, forwardedFor: values) else { return nil }
            return address.host
        }
        #expect(client(["192.0.2.1"]) == "192.0.2.1")
        #expect(client(["192.0.2.1", "10.0.0.5"]) == "192.0.2.1")
        #expect(client(["10.9.9.9, 10.0.0.5"]) == "10.9.9.9")
        #expect(client(["[2001:db8::1]:8080"]) == "2001:db8:0:0:0:0:0:1")
        #expect(client(["::ffff:192.0.2.1"]) == "192.0.2.1")
        #expect(client([" 192.0.2.1 ,, "]) == "192.0.2.1")
        #expect(client(["192.0.2.1"], from: PeerAddress(literal: "192.0.2.99")!) == "192.0.2.99")
        #expect(client(["192.0.2.1:x"]) == nil)
        #expect(client(["[2001:db8::1"]) == nil)
        #expect(IPRange("10.0.0.0/33") == nil)
    }
}
