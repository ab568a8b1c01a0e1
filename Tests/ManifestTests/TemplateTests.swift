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

@Suite struct TemplateTests {
    private func render(_ source: String, escape: TemplateEscape = .none, variables: [String: JSONValue] = [:],
                        invocation: Invocation = Fixtures.invocation(query: "a b")) throws -> String {
        let scope = ManifestScope(invocation: invocation)
        scope.variables = variables
        return try Template(parsing: source).render(in: scope, escape: escape)
    }

    @Test func substitutesDotPathsAndKeepsLiterals() throws {
        let value: JSONValue = ["commits": [["id": "abc"], ["id": "def"]], "n": 3]
        #expect(try render("id={{ v.commits.1.id }}, n={{v.n}}!", variables: ["v": value]) == "id=def, n=3!")
        #expect(try render("no placeholders") == "no placeholders")
        #expect(try render(#"{{ "{{" }}literal{{"}}"}}"#) == "{{literal}}")
    }

    @Test func defaultsApplyToMissingNullAndEmpty() throws {
        #expect(try render(#"{{ x | default: "none" }}"#) == "none")
        #expect(try render(#"{{ x | default: "none" }}"#, variables: ["x": .null]) == "none")
        #expect(try render(#"{{ x | default: "none" }}"#, variables: ["x": ""]) == "none")
        #expect(try render(#"{{ x | default: none }}"#, variables: ["x": "set"]) == "set")
        #expect(try render(#"{{ x | default: "a | b }}" }}"#) == "a | b }}")
        #expect(try render(#"{{ x | default: "say \"}}\" | ok" }}"#) == #"say "}}" | ok"#)
        #expect(throws: Template.SyntaxError.self) { try Template(parsing: #"{{ x | default: "open }}"#) }
    }

    @Test func fallbackChainTakesTheFirstValue() throws {
        #expect(try render("{{ x ?? y ?? query }}", variables: ["y": "why"]) == "why")
        #expect(try render("{{ x ?? query }}") == "a b")
    }

    @Test func transformFilters() throws {
        #expect(try render("[{{ x | trim | upper }}]", variables: ["x": "  hi "]) == "[HI]")
        #expect(try render("{{ x | lower }}", variables: ["x": "MiXeD"]) == "mixed")
    }

    @Test func escapesPerTarget() throws {
        let nasty: JSONValue = "a&b <i>\"q\" 'x' /é?=\n"
        #expect(try render("{{x}}", escape: .html, variables: ["x": nasty]) == "a&amp;b &lt;i&gt;&quot;q&quot; &#39;x&#39; /é?=\n")
        #expect(try render("{{x}}", escape: .url, variables: ["x": nasty]) == "a%26b%20%3Ci%3E%22q%22%20%27x%27%20%2F%C3%A9%3F%3D%0A")
        #expect(try render(#"{"t":"{{x}}"}"#, escape: .json, variables: ["x": nasty]) == #"{"t":"a&b <i>\"q\" 'x' /é?=\n"}"#)
        #expect(try render("{{x}}", escape: .header, variables: ["x": "a\r\nX-Evil: 1"]) == "aX-Evil: 1")
        #expect(try render("{{x}}", escape: .none, variables: ["x": nasty]) == nasty.stringValue)
    }

    @Test func explicitEscapeFiltersOverrideTheTarget() throws {
        #expect(try render("{{x | raw}}", escape: .url, variables: ["x": "a b"]) == "a b")
        #expect(try render("{{x | url}}", escape: .none, variables: ["x": "a b"]) == "a%20b")
        #expect(try render("{{x | html}}", variables: ["x": "<b>"]) == "&lt;b&gt;")
        #expect(try render("{{x | json}}", variables: ["x": "say \"hi\""]) == #""say \"hi\"""#)
        #expect(try render("{{x | json}}", variables: ["x": ["a": 1]]) == #"{"a":1}"#)
        #expect(try render("{{x | json}}", variables: ["x": 2.5]) == "2.5")
    }

    @Test func leadingPlaceholderOfAURLStaysRaw() throws {
        let scope = ManifestScope(invocation: Fixtures.invocation(query: "a/b c"))
        scope.variables = ["base": "https://chat.example/api"]
        let template = try Template(parsing: "{{base}}/rooms/{{query}}?q={{query}}")
        #expect(template.render(in: scope, escape: .url, leadingRaw: true)
            == "https://chat.example/api/rooms/a%2Fb%20c?q=a%2Fb%20c")
    }

    @Test func soleValuePlaceholderKeepsItsType() throws {
        let scope = ManifestScope(invocation: Fixtures.invocation())
        scope.variables = ["n": 3, "list": [1, 2]]
        #expect(try Template(parsing: "{{n}}").renderValue(in: scope) == 3)
        #expect(try Template(parsing: "{{list}}").renderValue(in: scope) == [1, 2])
        #expect(try Template(parsing: "n={{n}}").renderValue(in: scope) == "n=3")
        #expect(try Template(parsing: "{{n | trim}}").renderValue(in: scope) == "3")
    }

    @Test func missingVariableRendersEmptyWithAWarning() throws {
        let (logger, file) = Fixtures.recordingLogger()
        let text = try render("[{{payload.nope}}]", invocation: Fixtures.invocation(logger: logger))
        #expect(text == "[]")
        let log = try String(contentsOf: file, encoding: .utf8)
        #expect(log.contains("warning"))
        #expect(log.contains("template variable 'payload.nope' is not set"))
    }

    @Test func listFiltersJoinNumberAndCount() throws {
        let list: JSONValue = ["buy milk", "write report", 3, ["a": 1]]
        #expect(try render(#"{{ todo | join: ", " }}"#, variables: ["todo": list]) == #"buy milk, write report, 3, {"a":1}"#)
        #expect(try render("{{ todo | join }}", variables: ["todo": ["a", "b"]]) == "a, b")
        #expect(try render("{{ todo | join: + }}", variables: ["todo": ["a", "b"]]) == "a+b")
        #expect(try render(#"{{ todo | join: "\n" }}"#, variables: ["todo": ["a", "b"]]) == "a\nb")
        #expect(try render("{{ todo | numbered }}", variables: ["todo": ["buy milk", "write report"]]) == "1. buy milk\n2. write report")
        #expect(try render("{{ todo | length }}", variables: ["todo": list]) == "4")
        #expect(try render("{{ todo | numbered | upper }}", variables: ["todo": ["a"]]) == "1. A")
    }

    /// A missing list is the empty list, without the missing-variable warning: a stored list starts missing.
    @Test func listFiltersReadMissingAndNullAsEmpty() throws {
        let (logger, file) = Fixtures.recordingLogger()
        let invocation = Fixtures.invocation(logger: logger)
        #expect(try render("[{{ storage.todo | numbered }}]", invocation: invocation) == "[]")
        #expect(try render("[{{ storage.todo | join }}]", invocation: invocation) == "[]")
        #expect(try render("{{ storage.todo | length }}", invocation: invocation) == "0")
        #expect(try render("{{ x | length }}/{{ x | numbered }}", variables: ["x": .null], invocation: invocation) == "0/")
        #expect(try render("{{ x | numbered }}", variables: ["x": []], invocation: invocation) == "")
        #expect(!(try String(contentsOf: file, encoding: .utf8)).contains("not set"))
        // `default` applies to the value first: a missing list becomes the default, one item.
        #expect(try render(#"{{ storage.todo | join | default: "nothing" }}"#, invocation: invocation) == "nothing")
    }

    @Test func listFiltersTakeAnyOtherValueAsOneItem() throws {
        #expect(try render("{{ x | numbered }}", variables: ["x": "buy milk"]) == "1. buy milk")
        #expect(try render("{{ x | join: - }}", variables: ["x": 2.5]) == "2.5")
        #expect(try render("{{ x | length }}", variables: ["x": "héllo"]) == "5")
        #expect(try render("{{ x | length }}", variables: ["x": ["a": 1, "b": 2]]) == "2")
        #expect(try render("{{ x | length }}", variables: ["x": 1234]) == "4")
        #expect(try render("{{ x | length }}", variables: ["x": true]) == "4")
    }

    @Test func listFiltersReadStorage() throws {
        let storage = Storage()
        _ = try storage.namespace("test").append("todo", "buy milk")
        _ = try storage.namespace("test").append("todo", "write report")
        let invocation = Fixtures.invocation(storage: storage)
        #expect(try render("{{ storage.todo | numbered }}", invocation: invocation) == "1. buy milk\n2. write report")
        #expect(try render(#"{{ storage.todo | join: ", " }}"#, invocation: invocation) == "buy milk, write report")
        #expect(try render("{{ storage.todo }}", invocation: invocation) == #"["buy milk","write report"]"#)
    }

    /// The list filter's result is what the target escapes: inside a JSON string its newlines and quotes are
    /// escaped; `| json` makes the whole result one JSON string (or a number, for `length`).
    @Test func listFilterResultsAreEscapedForTheirTarget() throws {
        let list: JSONValue = ["say \"hi\"", "<b>&</b>"]
        #expect(try render(#"{"text": "{{ todo | numbered }}"}"#, escape: .json, variables: ["todo": list])
            == #"{"text": "1. say \"hi\"\n2. <b>&</b>"}"#)
        #expect(try render("{{ todo | join: / }}", escape: .html, variables: ["todo": list]) == "say &quot;hi&quot;/&lt;b&gt;&amp;&lt;/b&gt;")
        #expect(try render("{{ todo | join: \" \" }}", escape: .url, variables: ["todo": ["a b", "c"]]) == "a%20b%20c")
        #expect(try render("{{ todo | numbered | json }}", variables: ["todo": list]) == #""1. say \"hi\"\n2. <b>&</b>""#)
        #expect(try render("{{ todo | length | json }}", variables: ["todo": list]) == "2")
        let scope = ManifestScope(invocation: Fixtures.invocation())
        scope.variables = ["todo": list]
        #expect(try Template(parsing: "{{ todo | length }}").renderValue(in: scope) == 2)
        #expect(try Template(parsing: "{{ todo | join: + }}").renderValue(in: scope) == #"say "hi"+<b>&</b>"#)
        #expect(try Template(parsing: "{{ todo | length | trim }}").renderValue(in: scope) == "2")
    }

    @Test(arguments: [
        ("{{", "'{{' at offset 0 is not closed by '}}'"),
        ("a {{}} b", "empty placeholder '{{}}'"),
        ("{{ a..b }}", "'a..b' is not a variable path (letters, digits, _ and -, joined by dots)"),
        ("{{ a | shout }}", "unknown filter 'shout' (known: default, trim, lower, upper, join, numbered, length, json, url, html, raw)"),
        ("{{ a | default }}", "filter 'default' needs a value, as in default: \"text\""),
        (#"{{ a | join ", " }}"#, #"filter 'join' takes its separator after a colon, as in join: ", ""#),
        ("{{ a | join: }}", #"filter 'join' takes its separator after a colon, as in join: ", ""#),
        (#"{{ a | join: "open }}"#, "'{{' at offset 0 is not closed by '}}'"),
        ("{{ a | joined }}", "unknown filter 'joined' (known: default, trim, lower, upper, join, numbered, length, json, url, html, raw)"),
        ("{{ a | trim | numbered }}", "filter 'numbered' must come before the other filters: it reads the value as a list, not text"),
        ("{{ a | length | join }}", "filter 'join' must come before the other filters: it reads the value as a list, not text"),
        (#"{{ "open }}"#, "'{{' at offset 0 is not closed by '}}'"),
        (#"{{ a | default: "x }}"#, "'{{' at offset 0 is not closed by '}}'"),
        (#"{{ "a\"b }}"#, "'{{' at offset 0 is not closed by '}}'"),
    ])
    func syntaxErrors(source: String, reason: String) {
        #expect(throws: Template.SyntaxError.self) { try Template(parsing: source) }
        do {
            _ = try Template(parsing: source)
        } catch {
            #expect(error.reason == reason)
        }
    }
}
