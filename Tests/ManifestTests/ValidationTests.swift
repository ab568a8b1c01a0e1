import Foundation
import JSON
import Testing

@testable import HostApp
@testable import HostCore
@testable import IntegrationContract
@testable import Logging
@testable import Manifests
@testable import Platforms
@testable import Plugins

/// Bad manifests are rejected at load time with the file, the exact key path and the reason.
@Suite struct ValidationTests {
    static let cases: [(manifest: String, file: String, messages: [String])] = [
        ("[]", "test.json", ["test.json: a manifest must be a JSON object"]),
        ("{}", "test.json", ["test.json: actions: is required (an array of actions; [] for none)"]),
        (#"{"actions": [], "nmae": "x"}"#, "test.json", [
            "test.json: nmae: unknown key (expected one of: $schema, actions, commands, content_type, description, hook_methods, limits, methods, name, on_mismatch, parse_json, regex_timeout_ms, routes, rules, signature_failures)",
        ]),
        (#"{"actions": [], "limits": {"concurrent": 0, "queued": -1, "max": 3}}"#, "test.json", [
            "test.json: limits.max: unknown key (expected one of: body_mib, concurrent, exec, queued)",
            "test.json: limits.concurrent: must be a whole number from 1 to 10000",
            "test.json: limits.queued: must be a whole number from 0 to 10000",
        ]),
        (#"{"actions": [], "limits": {"body_mib": 2048}}"#, "test.json", [
            "test.json: limits.body_mib: must be a whole number from 1 to 1024",
        ]),
        (#"{"name": "bad name", "actions": []}"#, "test.json", [
            "test.json: name: 'bad name' is not a valid integration name ([A-Za-z0-9_-]{1,64})",
        ]),
        (#"{"actions": []}"#, "my manifest.json", [
            #"my manifest.json: 'my manifest' is not a valid integration name ([A-Za-z0-9_-]{1,64}); set "name" or rename the file"#,
        ]),
        (#"{"commands": ["ok", "/also", "no way"], "actions": []}"#, "test.json", [
            "test.json: commands[2]: 'no way' is not a valid command name ([A-Za-z0-9_-]{1,64})",
        ]),
        (#"{"routes": ["deploy/<env>", {"path": "/x/<a>/<a>"}, 5, {"path": "/y", "methods": ["FETCH"]}], "actions": []}"#, "test.json", [
            "test.json: routes[0]: 'deploy/<env>' is not a route pattern: must start with '/'",
            "test.json: routes[1].path: '/x/<a>/<a>' is not a route pattern: parameter <a> appears twice",
            #"test.json: routes[2]: must be a path such as "/deploy/<env>" or {"path", "methods"}"#,
            "test.json: routes[3].methods[0]: 'FETCH' is not an HTTP method the server accepts",
        ]),
        (#"{"actions": [{"reply": "a"}, {"log": "b"}, {"exec": {"argv": []}}]}"#, "deploy.json", [
            "deploy.json: actions[2].exec.argv: must be a non-empty array of strings",
        ]),
        (#"{"actions": [{"exec": {"argv": ["/bin/true", 5]}}]}"#, "deploy.json", [
            "deploy.json: actions[0].exec.argv: must be a non-empty array of strings",
        ]),
        (#"{"actions": [{"exec": {"argv": ["{{query}}"]}}]}"#, "test.json", [
            "test.json: actions[0].exec.argv[0]: must be a fixed path, not a template",
        ]),
        (#"{"actions": [{"exec": {"argv": ["/bin/true"], "env": {"A-B": "x"}, "timeout": 0, "dir": "/nonexistent-dir"}}]}"#, "test.json", [
            "test.json: actions[0].exec.env.A-B: is not an environment variable name",
            "test.json: actions[0].exec.dir: '/nonexistent-dir' is not a directory (looked at /nonexistent-dir)",
            "test.json: actions[0].exec.timeout: must be a number from 0.001 to 3600",
        ]),
        (#"{"actions": [{"reply": "{{who}}"}]}"#, "test.json", [
            "test.json: actions[0].reply: unknown variable 'who' in {{who}}",
        ]),
        (#"{"actions": [{"reply": "{{r}}"}, {"calc": "1", "into": "r"}]}"#, "test.json", [
            "test.json: actions[0].reply: unknown variable 'r' in {{r}}",
        ]),
        (#"{"actions": [{"reply": {"text": "{{query | shout}}"}}]}"#, "test.json", [
            "test.json: actions[0].reply.text: unknown filter 'shout' (known: default, trim, lower, upper, join, numbered, length, json, url, html, raw)",
        ]),
        (#"{"actions": [{"reply": "a", "log": "b"}, {"into": "x"}]}"#, "test.json", [
            "test.json: actions[0]: has more than one of the keys: reply, log",
            "test.json: actions[1]: must have one of the keys: reply, set, store, http, exec, calc, dice, log",
        ]),
        (#"{"actions": [{"reply": "a", "into": "x"}, {"calc": "1", "into": "query"}, {"reply": "a", "on_error": {}}]}"#, "test.json", [
            "test.json: actions[0].into: 'reply' has no result to keep",
            "test.json: actions[1].into: 'query' is a built-in variable and cannot be redefined",
            "test.json: actions[2].on_error: 'reply' cannot fail",
        ]),
        (#"{"actions": [{"store": {"op": "incr", "key": "k"}}, {"store": {"op": "set", "key": "k"}}, {"store": {"op": "get", "key": "k", "value": 1}}]}"#, "test.json", [
            "test.json: actions[0].store.op: must be one of: get, set, increment, append, remove, delete",
            "test.json: actions[1].store.value: is required for op set",
            "test.json: actions[2].store.value: is not used by op get",
        ]),
        (#"{"actions": [{"store": {"op": "remove", "key": "k"}}, {"store": {"op": "remove", "key": "k", "index": 1, "value": "x"}}, {"store": {"op": "append", "key": "k", "value": 1, "index": 2}}, {"store": {"op": "remove", "key": "k", "by": 1, "index": "{{n}}"}}]}"#, "test.json", [
            "test.json: actions[0].store: op remove needs index (1 for the first element) or value",
            "test.json: actions[1].store: has both index and value; use one",
            "test.json: actions[2].store.index: is not used by op append",
            "test.json: actions[3].store.by: is not used by op remove",
            "test.json: actions[3].store.index: unknown variable 'n' in {{n}}",
        ]),
        (#"{"actions": [{"reply": "{{storage.todo | trim | numbered}}"}, {"set": {"a": "{{query | join \"-\"}}"}}]}"#, "test.json", [
            "test.json: actions[0].reply: filter 'numbered' must come before the other filters: it reads the value as a list, not text",
            #"test.json: actions[1].set.a: filter 'join' takes its separator after a colon, as in join: ", ""#,
        ]),
        (#"{"rules": [{"regex": {"pattern": "("}}], "actions": []}"#, "test.json", [
            "test.json: rules[0].regex.pattern: invalid regular expression: (",
        ]),
        (#"{"rules": [{"regex": {"pattern": "(?<query>x)"}}], "actions": []}"#, "test.json", [
            "test.json: rules[0].regex.pattern: 'query' is a built-in variable and cannot be redefined",
        ]),
        (#"{"rules": {"ip": ["10.0.0.0/33", "nope", "::1/128"]}, "actions": []}"#, "test.json", [
            "test.json: rules.ip[0]: '10.0.0.0/33' is not an IP address or CIDR block",
            "test.json: rules.ip[1]: 'nope' is not an IP address or CIDR block",
        ]),
        (#"{"rules": {"signature": {"header": "X", "secret": "s", "algorithm": "md5"}}, "signature_failures": "loud", "actions": []}"#, "test.json", [
            #"test.json: signature_failures: must be "hard" or "soft""#,
            #"test.json: rules.signature.algorithm: must be "sha1", "sha256" or "sha512""#,
        ]),
        (#"{"rules": [{"verified": false}, {"verified": "yes"}], "actions": []}"#, "test.json", [
            #"test.json: rules[0].verified: must be true (for the opposite, use "not")"#,
            #"test.json: rules[1].verified: must be true (for the opposite, use "not")"#,
        ]),
        (#"{"rules": [{"signature": {"header": "X", "secret": "s", "encoding": "hexx"}}, {"token": {"header": "Bad Header"}}], "actions": []}"#, "test.json", [
            #"test.json: rules[0].signature.encoding: must be "hex" or "base64""#,
            "test.json: rules[1].token.secret: is required",
            "test.json: rules[1].token.header: must be an HTTP header name",
        ]),
        (#"{"rules": [{"match": {"value": "a", "equals": "b"}, "on_mismatch": {"status": 99}}, {"all": []}, {"nope": 1}], "actions": []}"#, "test.json", [
            "test.json: rules[0].on_mismatch.status: must be a whole number from 100 to 599",
            "test.json: rules[1].all: must be a non-empty array of rules",
            "test.json: rules[2].nope: unknown key (expected one of: all, any, ip, match, not, on_mismatch, regex, signature, token, verified)",
            "test.json: rules[2]: must have one of the keys: all, any, not, match, regex, signature, token, ip, verified",
        ]),
        (#"{"actions": [{"http": {"url": "ftp://x"}}, {"http": {"url": "{{env.U}}", "json": {}, "body": "x"}}]}"#, "test.json", [
            "test.json: actions[0].http.url: must start with http:// or https:// (or with a placeholder)",
            "test.json: actions[1].http: has both json and body; use one",
        ]),
        (#"{"actions": [{"reply": {"text": "a", "color": "pink"}}, {"reply": {}}, {"calc": 5}]}"#, "test.json", [
            "test.json: actions[0].reply.color: must be one of: gray, green, purple, random, red, yellow",
            "test.json: actions[1].reply: needs at least one of: text, json, status",
            "test.json: actions[2].calc: must be a string",
        ]),
    ]

    @Test(arguments: cases.indices)
    func rejectsWithExactMessages(index: Int) {
        let (manifest, file, messages) = ValidationTests.cases[index]
        #expect(Fixtures.problems(manifest, fileName: file) == messages)
    }

    @Test func missingExecutableNamesWhereItLooked() {
        let expected = Fixtures.integrationsDirectory.appendingPathComponent("scripts/nope.sh").standardizedFileURL.path
        #expect(Fixtures.problems(#"{"actions": [{"exec": {"argv": ["scripts/nope.sh"]}}]}"#) == [
            "test.json: actions[0].exec.argv[0]: 'scripts/nope.sh' is not an executable file (looked at \(expected))",
        ])
    }

    @Test func invalidJSONNamesTheLineAndColumn() throws {
        let directory = Fixtures.temporaryDirectory()
        let file = directory.appendingPathComponent("bad.json")
        try "{\n  \"actions\": [,]\n}\n".write(to: file, atomically: true, encoding: .utf8)
        #expect(throws: ManifestError.self) { try ManifestLoader().load(file: file) }
        do {
            _ = try ManifestLoader().load(file: file)
        } catch {
            #expect("\(error)".hasPrefix("bad.json: invalid JSON at line 2, column 15: "), "\(error)")
        }
    }
}
