import Crypto
import Foundation
import Glibc
import JSON
import Testing
import TestSupport

/// `deploy/`: the systemd unit passes `systemd-analyze verify`, and the nginx config, as shipped (only ports and
/// file paths replaced), terminates TLS in front of a real host: a chat command, a signed webhook, and the client
/// address the host sees through `X-Forwarded-For` with and without `--trusted-proxy`.
@Suite struct DeployTests {
    static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let systemdAnalyze = "/usr/bin/systemd-analyze"
    static let nginx = "/usr/sbin/nginx"
    static let openssl = "/usr/bin/openssl"
    static let curl = "/usr/bin/curl"
    static var hasNginx: Bool { [nginx, openssl, curl].allSatisfy(FileManager.default.isExecutableFile(atPath:)) }

    @Test(.enabled(
        if: FileManager.default.isExecutableFile(atPath: systemdAnalyze),
        "SKIPPED: /usr/bin/systemd-analyze is not installed, so deploy/systemd/integration-host.service is not verified"))
    func theSystemdUnitVerifies() throws {
        let directory = try TemporaryDirectory("ihunit")
        defer { directory.remove() }
        // `verify` wants the binary to exist: the one just built stands in for /usr/local/bin/integration-host.
        let shipped = try String(
            contentsOf: Self.repository.appendingPathComponent("deploy/systemd/integration-host.service"), encoding: .utf8)
        let binary = buildDirectory.appendingPathComponent("integration-host").path
        #expect(shipped.contains("ExecStart=/usr/local/bin/integration-host "))
        let unit = directory.url.appendingPathComponent("integration-host.service")
        try shipped.replacingOccurrences(of: "/usr/local/bin/integration-host", with: binary)
            .write(to: unit, atomically: true, encoding: .utf8)
        let result = try Subprocess.run(Self.systemdAnalyze, ["verify", "--man=no", unit.path])
        // An unknown key or system call group is only a warning (exit 0): any output at all fails the test.
        #expect(result.status == 0)
        #expect(result.stdoutText + result.stderrText == "")
        for setting in [
            "DynamicUser=yes", "StateDirectory=integration-host", "ProtectSystem=strict", "ProtectHome=yes",
            "PrivateTmp=yes", "NoNewPrivileges=yes", "RestrictAddressFamilies=", "SystemCallFilter=@system-service",
            "RestrictNamespaces=user pid", "LimitNOFILE=16384", "ExecReload=/bin/kill -HUP $MAINPID",
            "EnvironmentFile=", "--trusted-proxy 127.0.0.1/32",
        ] {
            #expect(shipped.contains(setting), "\(setting)")
        }
    }

    /// The limit in the unit covers what the host raises its own soft limit to (`descriptor limit raised …`).
    @Test func theUnitsDescriptorLimitCoversWhatTheHostWants() throws {
        let host = try TestHost()
        defer { Task { await host.stop() } }
        #expect(host.host.descriptorsWanted <= 16384)
    }

    @Test(.enabled(if: hasNginx, "SKIPPED: nginx, openssl or curl is not installed, so deploy/nginx is not tested"))
    func nginxTerminatesTLSInFrontOfTheHost() async throws {
        let secret = "deploy-test-github-secret"
        let files = [
            "echo.json": #"{"actions": [{"reply": "{{query}}"}]}"#,
            "gh.json": #"{"rules": [{"verified": true}], "actions": [{"reply": "signed {{header.X-GitHub-Event}}"}]}"#,
            "who.json": #"{"rules": [{"ip": ["127.0.0.2"]}], "actions": [{"reply": "hello over {{header.X-Forwarded-Proto}}"}]}"#,
        ]
        let directory = try TemporaryDirectory("ihnginx")
        defer { directory.remove() }
        let tls = try TLSCertificate(in: directory.url)

        let trusting = try TestHost(files: files, tokens: ["gh.github_secret:\(secret)"], trustedProxies: ["127.0.0.1/32"])
        defer { Task { await trusting.stop() } }
        var nginx = try Nginx(directory: directory.url.appendingPathComponent("trusting"), upstreamPort: trusting.host.port, tls: tls)
        defer { _ = nginx.stop() }
        try await nginx.waitUntilServing()

        let chat = try nginx.curl("/hipchat", body: String(decoding: try Fixtures.hipchat(message: "/echo hello"), as: UTF8.self),
            headers: ["Content-Type: application/json"])
        #expect(chat.status == "200")
        #expect(try JSONValue(parsing: Array(chat.body.utf8))["message"] == "hello")

        let push = #"{"ref": "refs/heads/main", "text": "pushed"}"#
        let signature = "sha256=" + Crypto.Encoding.hex(HMACSHA256.authenticationCode(for: Array(push.utf8), key: Array(secret.utf8)))
        let github = ["Content-Type: application/json", "X-GitHub-Event: push", "X-GitHub-Delivery: \(UUID().uuidString)"]
        let signed = try nginx.curl("/hooks/gh", body: push, headers: github + ["X-Hub-Signature-256: \(signature)"])
        #expect(signed.status == "200")
        #expect(signed.body == "signed push")
        let forged = try nginx.curl("/hooks/gh", body: push, headers: github + ["X-Hub-Signature-256: sha256=" + String(repeating: "0", count: 64)])
        #expect(forged.status == "401")

        // The host sees the client (curl from 127.0.0.2), not nginx (127.0.0.1), and learns the scheme.
        let fromClient = try nginx.curl("/hooks/who", body: "{}", headers: ["Content-Type: application/json"], from: "127.0.0.2")
        #expect(fromClient.status == "200")
        #expect(fromClient.body == "hello over https")
        // A client cannot forge its address: nginx appends the real one, which the host reads from the right. (A
        // client on the proxy's own trusted address could: its address is skipped as a proxy hop.)
        let forging = try nginx.curl(
            "/hooks/who", body: "{}", headers: ["Content-Type: application/json", "X-Forwarded-For: 127.0.0.2"], from: "127.0.0.3")
        #expect(forging.status == "403")
        // nginx refuses a body over the host's 1 MiB itself.
        let large = try nginx.curl("/hooks/who", body: String(repeating: "x", count: (1 << 20) + 1), headers: ["Content-Type: text/plain"])
        #expect(large.status == "413")
        #expect(nginx.stop()?.status == 0)

        // Without --trusted-proxy the same request is nginx's own: 127.0.0.1, refused by the ip rule.
        let plain = try TestHost(files: files, tokens: ["gh.github_secret:\(secret)"])
        defer { Task { await plain.stop() } }
        nginx = try Nginx(directory: directory.url.appendingPathComponent("plain"), upstreamPort: plain.host.port, tls: tls)
        try await nginx.waitUntilServing()
        let untrusted = try nginx.curl("/hooks/who", body: "{}", headers: ["Content-Type: application/json"], from: "127.0.0.2")
        #expect(untrusted.status == "403")
    }
}

/// A directory under the system's temporary directory, removed by the test.
struct TemporaryDirectory {
    let url: URL

    init(_ prefix: String) throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func remove() { try? FileManager.default.removeItem(at: url) }
}

/// A self-signed certificate for 127.0.0.1, made with the openssl CLI.
struct TLSCertificate {
    let certificate: URL
    let key: URL

    init(in directory: URL) throws {
        certificate = directory.appendingPathComponent("cert.pem")
        key = directory.appendingPathComponent("key.pem")
        let result = try Subprocess.run(DeployTests.openssl, [
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
            "-keyout", key.path, "-out", certificate.path,
        ])
        guard result.status == 0 else { throw DeployTestFailure("openssl: \(result.stderrText)") }
    }
}

/// nginx from the system's package with `deploy/nginx/integration-host.conf` as its one site, under a temporary
/// prefix (pid file, temp paths and logs inside it), in the foreground, logging to stderr.
struct Nginx {
    let directory: URL
    let port: Int
    let tls: TLSCertificate
    private var process: Subprocess?

    init(directory: URL, upstreamPort: Int, tls: TLSCertificate) throws {
        self.directory = directory
        self.tls = tls
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        // A port bound and closed again, for nginx to bind.
        let (unused, freePort) = try boundButNotListening()
        close(unused)
        port = freePort
        var site = try String(
            contentsOf: DeployTests.repository.appendingPathComponent("deploy/nginx/integration-host.conf"), encoding: .utf8)
        let path = directory.path
        for (shipped, local) in [
            ("listen 443 ssl;", "listen 127.0.0.1:\(port) ssl;"),
            ("listen [::]:443 ssl;", ""),
            ("server 127.0.0.1:8000;", "server 127.0.0.1:\(upstreamPort);"),
            ("/etc/ssl/certs/integration-host.pem", tls.certificate.path),
            ("/etc/ssl/private/integration-host.key", tls.key.path),
            ("/var/log/nginx/integration-host.access.log", "\(path)/access.log"),
        ] {
            guard site.contains(shipped) else { throw DeployTestFailure("the shipped config lost '\(shipped)'") }
            site = site.replacingOccurrences(of: shipped, with: local)
        }
        try site.write(to: directory.appendingPathComponent("site.conf"), atomically: true, encoding: .utf8)
        let main = """
            daemon off;
            worker_processes 1;
            pid \(path)/nginx.pid;
            error_log stderr warn;
            events { worker_connections 64; }
            http {
                client_body_temp_path \(path)/body;
                proxy_temp_path \(path)/proxy;
                fastcgi_temp_path \(path)/fastcgi;
                uwsgi_temp_path \(path)/uwsgi;
                scgi_temp_path \(path)/scgi;
                include \(path)/site.conf;
            }
            """
        try main.write(to: directory.appendingPathComponent("nginx.conf"), atomically: true, encoding: .utf8)
        process = try Subprocess(DeployTests.nginx, ["-p", path, "-c", "\(path)/nginx.conf", "-e", "stderr"])
    }

    /// Returns once nginx has bound its port and written its pid file.
    func waitUntilServing() async throws {
        let pidFile = directory.appendingPathComponent("nginx.pid").path
        let written = await eventually { FileManager.default.fileExists(atPath: pidFile) }
        guard written else { throw DeployTestFailure("nginx did not start") }
    }

    /// One request over https with curl, trusting only the test's certificate; from `source` if given.
    func curl(_ path: String, body: String, headers: [String], from source: String? = nil) throws -> (status: String, body: String) {
        let bodyFile = directory.appendingPathComponent("body-\(UUID().uuidString)")
        try body.write(to: bodyFile, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: bodyFile) }
        var arguments = ["-s", "--max-time", "30", "--cacert", tls.certificate.path, "-w", "\n%{http_code}", "--data-binary", "@\(bodyFile.path)"]
        for header in headers { arguments += ["-H", header] }
        if let source { arguments += ["--interface", source] }
        let result = try Subprocess.run(DeployTests.curl, arguments + ["https://127.0.0.1:\(port)\(path)"])
        let text = result.stdoutText
        guard let newline = text.lastIndex(of: "\n") else { return ("curl failed: \(result.stderrText)", "") }
        return (String(text[text.index(after: newline)...]), String(text[..<newline]))
    }

    /// Stops nginx (SIGQUIT: a graceful stop) and waits for it; what it printed is in the result.
    @discardableResult
    mutating func stop() -> Subprocess.Result? {
        guard let process else { return nil }
        self.process = nil
        kill(process.pid, SIGQUIT)
        return process.finish()
    }
}

/// Why a deploy test could not set up its nginx.
struct DeployTestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
