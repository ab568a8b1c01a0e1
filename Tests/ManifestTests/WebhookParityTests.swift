import Crypto
import Foundation
import Glibc
import JSON
import TestSupport
import Testing

@testable import HostApp
@testable import HostCore
@testable import Manifests

/// adnanh/webhook's features as manifests, each through the real host on loopback
/// (https://github.com/adnanh/webhook, docs/Hook-Definition.md, Hook-Rules.md, Referencing-Request-Values.md).
@Suite struct WebhookParityTests {
    /// A host serving `manifests` (file name → JSON text), with `tokens`.
    static func host(
        _ manifests: [String: String], tokens: [String] = [], deadline: Duration = .seconds(10), in directory: URL? = nil
    ) throws -> (ManifestHost, URL) {
        let directory = directory ?? Fixtures.temporaryDirectory()
        for (name, text) in manifests {
            try text.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        return (try ManifestHost(directory: directory, tokens: tokens, deadline: deadline), directory)
    }

    static let secret = "parity-secret-1"

    static func hex(_ algorithm: String, _ body: [UInt8], key: String = secret) -> String {
        let key = Array(key.utf8)
        switch algorithm {
        case "sha1": return Encoding.hex(HMAC<SHA1>.authenticationCode(for: body, key: key))
        case "sha512": return Encoding.hex(HMAC<SHA512>.authenticationCode(for: body, key: key))
        default: return Encoding.hex(HMAC<SHA256>.authenticationCode(for: body, key: key))
        }
    }

    /// Hook-Rules.md, "Match payload-hmac-sha1/sha256/sha512": each algorithm checks its own header.
    @Test func signaturesWithSHA1AndSHA512() async throws {
        func manifest(_ algorithm: String) -> String {
            #"{"rules": {"signature": {"header": "X-Sig", "algorithm": "\#(algorithm)", "prefix": "\#(algorithm)=", "secret": "{{tokens.parity_secret}}"}}, "actions": [{"reply": "ok \#(algorithm)"}]}"#
        }
        let (host, directory) = try Self.host(
            ["h1.json": manifest("sha1"), "h256.json": manifest("sha256"), "h512.json": manifest("sha512")],
            tokens: ["parity_secret:\(Self.secret)"])
        defer { try? FileManager.default.removeItem(at: directory) }
        let body = Array(#"{"ref": "main"}"#.utf8)
        for algorithm in ["sha1", "sha256", "sha512"] {
            let path = "/hooks/h" + algorithm.dropFirst(3)
            let good = try await host.request("POST", path, body: body, headers: ["X-Sig": "\(algorithm)=\(Self.hex(algorithm, body))"])
            #expect(good.status == 200 && good.text == "ok \(algorithm)", "\(algorithm)")
            let upper = try await host.request(
                "POST", path, body: body, headers: ["X-Sig": "\(algorithm)=\(Self.hex(algorithm, body).uppercased())"])
            #expect(upper.status == 200, "\(algorithm) in uppercase hex")
            for other in ["sha1", "sha256", "sha512"] where other != algorithm {
                let wrong = try await host.request("POST", path, body: body, headers: ["X-Sig": "\(algorithm)=\(Self.hex(other, body))"])
                #expect(wrong.status == 401, "\(algorithm) header carrying a \(other) digest")
            }
            let tampered = try await host.request(
                "POST", path, body: body + [0x20], headers: ["X-Sig": "\(algorithm)=\(Self.hex(algorithm, body))"])
            #expect(tampered.status == 401 && tampered.json?["error"]?.stringValue?.hasPrefix("h") == true)
        }
        await host.stop()
    }

    /// Hook-Rules.md: "payload-hmac-* … multiple signatures": a list passes when one of its algorithm matches.
    @Test func aHeaderListingSeveralSignatures() async throws {
        let manifest = #"{"rules": {"signature": {"header": "X-Signature", "algorithm": "sha256", "prefix": "sha256=", "secret": "{{tokens.parity_secret}}"}}, "actions": [{"reply": "ok"}]}"#
        let (host, directory) = try Self.host(["multi.json": manifest], tokens: ["parity_secret:\(Self.secret)"])
        defer { try? FileManager.default.removeItem(at: directory) }
        let body = Array("payload".utf8)
        let good = Self.hex("sha256", body)
        let stale = Self.hex("sha256", body, key: "rotated-away-9")
        let cases: [(header: String, status: Int)] = [
            ("sha1=\(Self.hex("sha1", body)),sha256=\(good)", 200),
            ("sha256=\(stale), sha256=\(good)", 200),
            ("sha256=\(good),sha512=\(Self.hex("sha512", body))", 200),
            ("sha256=\(stale),sha1=\(Self.hex("sha1", body))", 401),
            ("sha1=\(good)", 401),
            ("sha256=\(stale),,sha256=zz", 401),
            (",", 401),
        ]
        for (header, status) in cases {
            let response = try await host.request("POST", "/hooks/multi", body: body, headers: ["X-Signature": header])
            #expect(response.status == status, "\(header)")
        }
        await host.stop()
    }

    /// Hook-Definition.md, `trigger-signature-soft-failures`: hard by default (a bad signature ends the run, no
    /// other branch of `any` is tried), soft on request (just a mismatch).
    @Test func signatureFailuresHardByDefaultSoftOnRequest() async throws {
        func manifest(_ mode: String?) -> String {
            let key = mode.map { #""signature_failures": "\#($0)", "# } ?? ""
            return #"{\#(key)"actions": [{"if": {"any": [{"signature": {"header": "X-Sig", "prefix": "sha256=", "secret": "{{tokens.parity_secret}}"}}, {"match": {"value": "{{param.mode}}", "equals": "public"}}]}, "reply": "ran"}, {"if": {"not": {"signature": {"header": "X-Sig", "prefix": "sha256=", "secret": "{{tokens.parity_secret}}"}}}, "reply": "unsigned"}]}"#
        }
        let (host, directory) = try Self.host(
            ["hard.json": manifest(nil), "soft.json": manifest("soft"), "explicit.json": manifest("hard")],
            tokens: ["parity_secret:\(Self.secret)"])
        defer { try? FileManager.default.removeItem(at: directory) }
        let body = Array("x=1".utf8)
        let signed = ["X-Sig": "sha256=\(Self.hex("sha256", body))", "Content-Type": "text/plain"]
        let forged = ["X-Sig": "sha256=\(Self.hex("sha256", body, key: "guessed-key-1"))", "Content-Type": "text/plain"]
        for name in ["hard", "explicit", "soft"] {
            let ok = try await host.request("POST", "/hooks/\(name)", body: body, headers: signed)
            #expect(ok.status == 200 && ok.text == "ran", "\(name), signed")
        }
        for name in ["hard", "explicit"] {
            let refused = try await host.request("POST", "/hooks/\(name)?mode=public", body: body, headers: forged)
            #expect(refused.status == 401, "\(name): a forged signature ends the run")
            #expect(refused.json == ["error": .string("\(name): no valid sha256 signature in X-Sig")])
        }
        let soft = try await host.request("POST", "/hooks/soft?mode=public", body: body, headers: forged)
        #expect(soft.status == 200 && soft.text == "unsigned", "soft: the next branch, and `not` holds")
        await host.stop()
    }

    /// Issue #15's bug: a declared route under `/hooks/` with more segments passed `check` but answered 404.
    @Test func declaredRoutesUnderHooksAreReachable() async throws {
        let (host, directory) = try Self.host([
            "sendgrid.json": #"{"routes": ["/hooks/sendgrid/inbound", {"path": "/hooks/<vendor>/status", "methods": ["GET"]}], "actions": [{"reply": "{{path}} {{param.vendor | default: \"-\"}}"}]}"#,
            "echo.json": #"{"actions": [{"reply": "echo"}]}"#,
        ])
        defer { try? FileManager.default.removeItem(at: directory) }
        let inbound = try await host.request("POST", "/hooks/sendgrid/inbound", body: Array("x".utf8))
        #expect(inbound.status == 200 && inbound.text == "/hooks/sendgrid/inbound -")
        let status = try await host.request("GET", "/hooks/mailgun/status")
        #expect(status.status == 200 && status.text == "/hooks/mailgun/status mailgun")
        let wrongMethod = try await host.request("GET", "/hooks/sendgrid/inbound")
        #expect(wrongMethod.status == 405 && wrongMethod.headers["allow"] == "POST")
        #expect(try await host.request("POST", "/hooks/sendgrid").text == "/hooks/sendgrid -")
        #expect(try await host.request("POST", "/hooks/echo").text == "echo")
        let missing = try await host.request("POST", "/hooks/nobody")
        #expect(missing.status == 404 && missing.json == ["error": "no integration named nobody"])
        let deeper = try await host.request("POST", "/hooks/sendgrid/other")
        #expect(deeper.status == 404 && deeper.json == ["error": "no route for /hooks/sendgrid/other"])
        await host.stop()
    }

    /// A declared route that is another integration's `/hooks/NAME` can never be reached: a load problem.
    @Test func aRouteThatIsAnotherIntegrationsHookIsAProblem() throws {
        let directory = Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try #"{"routes": ["/hooks/echo"], "actions": []}"#.write(
            to: directory.appendingPathComponent("shadow.json"), atomically: true, encoding: .utf8)
        try #"{"actions": []}"#.write(to: directory.appendingPathComponent("echo.json"), atomically: true, encoding: .utf8)
        let problems = Catalog.loadOnce(directory: directory, loaders: IntegrationKinds.loaders()).problems.map(\.description)
        #expect(problems == ["shadow.json: route /hooks/echo of shadow is never reached: it is the webhook of echo"])
    }

    /// Hook-Definition.md, `http-methods`: `/hooks/NAME` takes the listed methods; others get 405 with `Allow`.
    @Test func hookMethods() async throws {
        let (host, directory) = try Self.host([
            "ping.json": #"{"hook_methods": ["GET", "put"], "actions": [{"reply": "{{method}}"}]}"#,
            "plain.json": #"{"routes": [{"path": "/plain/status", "methods": ["GET"]}], "actions": [{"reply": "{{method}}"}]}"#,
        ])
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(try await host.request("GET", "/hooks/ping").text == "GET")
        #expect(try await host.request("PUT", "/hooks/ping", body: Array("x".utf8)).text == "PUT")
        let post = try await host.request("POST", "/hooks/ping", body: Array("x".utf8))
        #expect(post.status == 405 && post.headers["allow"] == "GET, PUT")
        #expect(try await host.request("DELETE", "/hooks/ping").status == 405)
        #expect(try await host.request("POST", "/hooks/plain").text == "POST")
        #expect(try await host.request("GET", "/hooks/plain").text == "GET")
        let delete = try await host.request("DELETE", "/hooks/plain")
        #expect(delete.status == 405 && delete.headers["allow"] == "GET, POST")
        #expect(Fixtures.problems(#"{"hook_methods": ["FETCH"], "actions": []}"#)
            == ["test.json: hook_methods[0]: 'FETCH' is not an HTTP method the server accepts"])
        await host.stop()
    }

    /// Referencing-Request-Values.md, `{"source": "request", "name": "remote-addr"}`: the client's address.
    @Test func theClientsAddress() async throws {
        let (host, directory) = try Self.host([
            "whoami.json": #"{"rules": {"regex": {"value": "{{remote_addr}}", "pattern": "^127\\."}}, "actions": [{"reply": {"json": {"addr": "{{remote_addr}}", "port": "{{remote_port}}"}}}]}"#,
            "elsewhere.json": #"{"rules": {"match": {"value": "{{remote_addr}}", "equals": "10.9.8.7"}, "on_mismatch": {"status": 403}}, "actions": [{"reply": "in"}]}"#,
        ])
        defer { try? FileManager.default.removeItem(at: directory) }
        let whoami = try await host.request("POST", "/hooks/whoami", body: Array("x".utf8))
        #expect(whoami.status == 200 && whoami.json?["addr"] == "127.0.0.1")
        #expect((whoami.json?["port"]?.doubleValue ?? 0) > 0)
        #expect(try await host.request("POST", "/hooks/elsewhere", body: Array("x".utf8)).status == 403)
        await host.stop()
    }

    /// Hook-Definition.md, `parse-parameters-as-json`: a form field, header or URL parameter holding JSON.
    @Test func parametersParsedAsJSON() async throws {
        let manifest = #"""
            {"parse_json": ["form.payload", "header.X-Data", "param.meta", "payload.inner"],
             "rules": {"match": {"value": "{{form.payload.ref}}", "equals": "refs/heads/main"}},
             "actions": [{"reply": "{{form.payload.commits.1.id}} {{header.x-data.id}} {{param.meta.tags.0}} {{payload.inner.deep}} {{form.other}}"}]}
            """#
        let (host, directory) = try Self.host(["parsed.json": manifest])
        defer { try? FileManager.default.removeItem(at: directory) }
        let document = #"{"ref": "refs/heads/main", "commits": [{"id": "a1"}, {"id": "b2"}], "inner": 1}"#
        let form = "payload=" + document.addingPercentEncoding(withAllowedCharacters: .alphanumerics)! + "&other=plain"
            + "&inner=" + #"{"deep": true}"#.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        let meta = #"{"tags":["x","y"]}"#.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        let headers = ["Content-Type": "application/x-www-form-urlencoded", "X-Data": #"{"id": 7}"#]
        let ok = try await host.request("POST", "/hooks/parsed?meta=\(meta)", body: Array(form.utf8), headers: headers)
        #expect(ok.status == 200 && ok.text == "b2 7 x true plain")
        let other = form.replacingOccurrences(of: "main", with: "dev")
        #expect(try await host.request("POST", "/hooks/parsed?meta=\(meta)", body: Array(other.utf8), headers: headers).status == 400)
        let broken = try await host.request(
            "POST", "/hooks/parsed", body: Array(form.utf8), headers: ["Content-Type": "application/x-www-form-urlencoded", "X-Data": "{nope"])
        #expect(broken.status == 400)
        #expect(broken.json?["error"]?.stringValue?.hasPrefix("parsed: parse_json: header.X-Data is not a JSON document") == true)
        #expect(Fixtures.problems(#"{"parse_json": ["query.x", "form", "header."], "actions": []}"#) == [
            "test.json: parse_json[0]: 'query.x' is not form.NAME, header.NAME, param.NAME or payload.NAME",
            "test.json: parse_json[1]: 'form' is not form.NAME, header.NAME, param.NAME or payload.NAME",
            "test.json: parse_json[2]: 'header.' is not form.NAME, header.NAME, param.NAME or payload.NAME",
        ])
        await host.stop()
    }

    /// Hook-Definition.md, `incoming-payload-content-type`: the body is decoded as the manifest says.
    @Test func aForcedContentType() async throws {
        let (host, directory) = try Self.host([
            "asform.json": #"{"content_type": "application/x-www-form-urlencoded", "actions": [{"reply": "{{form.a}}+{{payload.b}}"}]}"#,
            "asjson.json": #"{"content_type": "application/json", "actions": [{"reply": "{{payload.x.y}}"}]}"#,
            "bytype.json": #"{"actions": [{"reply": "{{form.a | default: \"none\"}}"}]}"#,
        ])
        defer { try? FileManager.default.removeItem(at: directory) }
        let form = Array("a=1&b=two".utf8)
        let sentAsJSON = ["Content-Type": "application/json"]
        #expect(try await host.request("POST", "/hooks/asform", body: form, headers: sentAsJSON).text == "1+two")
        #expect(try await host.request("POST", "/hooks/bytype", body: form, headers: sentAsJSON).status == 400)
        let document = Array(#"{"x": {"y": "deep"}}"#.utf8)
        let sentAsForm = ["Content-Type": "application/x-www-form-urlencoded"]
        #expect(try await host.request("POST", "/hooks/asjson", body: document, headers: sentAsForm).text == "deep")
        #expect(try await host.request("POST", "/hooks/asjson", body: form, headers: sentAsForm).status == 400)
        #expect(try await host.request("POST", "/hooks/bytype", body: form, headers: ["Content-Type": "text/plain"]).text == "none")
        #expect(Fixtures.problems(#"{"content_type": "application/xml", "actions": []}"#) == [
            "test.json: content_type: must be one of: application/json, application/x-www-form-urlencoded, multipart/form-data, text/plain",
        ])
        await host.stop()
    }

    /// Hook-Definition.md's multipart payloads: fields and files become values; malformed or oversized bodies
    /// answer 400 with `{"error"}` and the host goes on answering.
    @Test func multipartBodies() async throws {
        let (host, directory) = try Self.host([
            "upload.json": #"{"actions": [{"reply": "{{form.note}}|{{payload.upload.filename}}|{{form.upload.content_type}}|{{form.upload.size}}|{{form.upload.content}}|{{query}}"}]}"#,
            "forced.json": #"{"content_type": "multipart/form-data", "actions": [{"reply": "{{form.note}}"}]}"#,
        ])
        defer { try? FileManager.default.removeItem(at: directory) }
        let boundary = "----parity7MA4YWxk"
        func body(_ parts: [String]) -> [UInt8] {
            Array((parts.map { "--\(boundary)\r\n\($0)\r\n" }.joined() + "--\(boundary)--\r\n").utf8)
        }
        let good = body([
            "Content-Disposition: form-data; name=\"note\"\r\n\r\nhi there",
            "Content-Disposition: form-data; name=\"upload\"; filename=\"build.log\"\r\nContent-Type: text/plain\r\n\r\nline 1\nline 2",
            "Content-Disposition: form-data; name=\"text\"\r\n\r\nthe query",
        ])
        let type = ["Content-Type": "multipart/form-data; boundary=\(boundary)"]
        let ok = try await host.request("POST", "/hooks/upload", body: good, headers: type)
        #expect(ok.status == 200 && ok.text == "hi there|build.log|text/plain|13|line 1\nline 2|the query")
        let forced = try await host.request(
            "POST", "/hooks/forced", body: good, headers: ["Content-Type": "application/octet-stream; boundary=\(boundary)"])
        #expect(forced.text == "hi there")

        let huge = body(["Content-Disposition: form-data; name=\"upload\"; filename=\"big\"\r\n\r\n" + String(repeating: "x", count: 600 * 1024)])
        let bad: [(body: [UInt8], type: String, error: String)] = [
            (good, "multipart/form-data", "multipart/form-data without a valid boundary parameter"),
            (good, "multipart/form-data; boundary=other", "multipart body: no boundary other in the body"),
            (Array(String(decoding: good, as: UTF8.self).replacingOccurrences(of: "\(boundary)\r\n", with: boundary).utf8),
             type["Content-Type"]!, "multipart body: no CRLF after a boundary"),
            (Array(good.dropLast(30)), type["Content-Type"]!, "multipart body: a part does not end with the boundary"),
            (huge, type["Content-Type"]!, "multipart body: part upload is larger than 524288 bytes"),
        ]
        for (body, contentType, error) in bad {
            let response = try await host.request("POST", "/hooks/upload", body: body, headers: ["Content-Type": contentType])
            #expect(response.status == 400 && response.json == ["error": .string(error)], "\(error)")
        }
        #expect(try await host.request("POST", "/hooks/upload", body: good, headers: type).status == 200)
        await host.stop()
    }

    /// Hook-Definition.md, `pass-file-to-command`: a value reaches the program as a private file whose path is in
    /// an environment variable, and the file is gone once the program has ended: exited, timed out, cancelled by
    /// the host's deadline, or not waited for.
    @Test func valuesPassedToProgramsAsFiles() async throws {
        let directory = Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let marks = directory.appendingPathComponent("marks")
        try FileManager.default.createDirectory(at: marks, withIntermediateDirectories: true)
        Fixtures.script("show.sh", """
            #!/bin/sh
            echo "$PAYLOAD_FILE" > "$MARKS/$1"
            printf '%s|%s|%s|' "$(cat "$PAYLOAD_FILE")" "$(stat -c %a "$PAYLOAD_FILE")" "$(stat -c %a "$(dirname "$PAYLOAD_FILE")")"
            od -An -tx1 "$BYTES_FILE" | tr -d ' \\n'
            [ "$1" = slow ] && exec sleep 30
            exit 0
            """, in: directory)
        func manifest(_ mark: String, timeout: Int = 30, wait: Bool = true) -> String {
            #"{"actions": [{"exec": {"argv": ["show.sh", "\#(mark)"], "env": {"MARKS": "\#(marks.path)"}, "timeout": \#(timeout), "wait": \#(wait), "files": {"PAYLOAD_FILE": "{{payload.text}}", "BYTES_FILE": {"content": "{{payload.bytes}}", "base64": true}}}, "into": "r"}, {"reply": "{{r.stdout}}"}]}"#
        }
        let (host, _) = try Self.host(
            ["show.json": manifest("show"), "slow.json": manifest("slow", timeout: 1), "later.json": manifest("later", wait: false)],
            in: directory)
        let body = Array(#"{"text": "don't $(run) this", "bytes": "AAEC/w=="}"#.utf8)
        let json = ["Content-Type": "application/json"]
        func passed(_ mark: String) throws -> String {
            try String(contentsOf: marks.appendingPathComponent(mark), encoding: .utf8).trimmingCharacters(in: .newlines)
        }

        let shown = try await host.request("POST", "/hooks/show", body: body, headers: json)
        #expect(shown.status == 200 && shown.text == "don't $(run) this|600|700|000102ff")
        let shownPath = try passed("show")
        #expect(!shownPath.isEmpty && !FileManager.default.fileExists(atPath: shownPath))
        #expect(!FileManager.default.fileExists(atPath: (shownPath as NSString).deletingLastPathComponent))

        let timedOut = try await host.request("POST", "/hooks/slow", body: body, headers: json)
        #expect(timedOut.status == 504)
        #expect(!FileManager.default.fileExists(atPath: try passed("slow")))

        #expect(try await host.request("POST", "/hooks/later", body: body, headers: json).status == 200)
        #expect(await eventually {
            guard let path = try? passed("later"), !path.isEmpty else { return false }
            return !FileManager.default.fileExists(atPath: path)
        })
        let notBase64 = try await host.request("POST", "/hooks/show", body: Array(#"{"text": "x", "bytes": "%%"}"#.utf8), headers: json)
        #expect(notBase64.status == 400 && notBase64.json == ["error": "show: exec: files.BYTES_FILE is not base64"])
        await host.stop()

        // A client that hangs up cancels its run (the deadline is far away): the program dies, its files go.
        try FileManager.default.removeItem(at: marks.appendingPathComponent("slow"))
        let (cancelling, _) = try Self.host(["slow.json": manifest("slow", timeout: 600)], deadline: .seconds(3600), in: directory)
        let socket = try await ClientDisconnectTests.offPool { [port = cancelling.server.port] in
            let fd = try ClientDisconnectTests.connect(port: port)
            ClientDisconnectTests.send(
                fd, "POST /hooks/slow HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: \(body.count)\r\n\r\n"
                    + String(decoding: body, as: UTF8.self))
            return fd
        }
        var slowPath = ""
        #expect(await eventually {
            slowPath = (try? passed("slow")) ?? ""
            return !slowPath.isEmpty && FileManager.default.fileExists(atPath: slowPath)
        })
        close(socket)
        #expect(await eventually { !FileManager.default.fileExists(atPath: slowPath) })
        await cancelling.stop()
        #expect(Fixtures.problems(#"{"actions": [{"exec": {"argv": ["/bin/true"], "files": {"bad-name": "z", "G": 3}}}]}"#) == [
            "test.json: actions[0].exec.files.G: must be a template or {\"content\", \"base64\"}",
            "test.json: actions[0].exec.files.bad-name: is not an environment variable name",
        ])
        #expect(Fixtures.problems(#"{"actions": [{"exec": {"argv": ["/bin/true"], "env": {"F": "x"}, "files": {"F": "y"}}}]}"#) == [
            "test.json: actions[0].exec.files.F: is also set in env",
        ])
    }
}
