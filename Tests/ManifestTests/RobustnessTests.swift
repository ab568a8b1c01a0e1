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

/// Mangled manifests, templates, patterns and expressions are rejected with an error, never a crash.
@Suite struct RobustnessTests {
    /// A small deterministic generator (SplitMix64), so a failure can be replayed.
    struct SeededGenerator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let alphabet = Array("{}[]\":,|?.\\ ()<>+-*/^%0123456789abcdxyz_$!#&=\n")

    private func mutate(_ text: String, using generator: inout SeededGenerator) -> String {
        var chars = Array(text)
        for _ in 0..<Int.random(in: 1...6, using: &generator) where !chars.isEmpty {
            let index = Int.random(in: 0..<chars.count, using: &generator)
            switch Int.random(in: 0..<3, using: &generator) {
            case 0: chars.remove(at: index)
            case 1: chars.insert(RobustnessTests.alphabet.randomElement(using: &generator)!, at: index)
            default: chars[index] = RobustnessTests.alphabet.randomElement(using: &generator)!
            }
        }
        return String(chars)
    }

    @Test func mangledExampleManifestsNeverCrashTheLoader() throws {
        var generator = SeededGenerator(state: 20261123)
        let files = ["echo.json", "roll.json", "karma.json", "calc.json", "github-push.json", "deploy.json", "todo.json"]
        var rejected = 0
        for file in files {
            let text = try String(contentsOf: Fixtures.integrationsDirectory.appendingPathComponent(file), encoding: .utf8)
            for _ in 0..<300 {
                let mangled = mutate(text, using: &generator)
                guard let json = try? JSONValue(parsing: mangled) else { continue }
                do {
                    _ = try ManifestIntegration(json: json, fileName: file, directory: Fixtures.integrationsDirectory)
                } catch {
                    #expect(!error.description.isEmpty)
                    rejected += 1
                }
            }
        }
        #expect(rejected > 0)
    }

    @Test func mangledTemplatesPatternsAndExpressionsNeverCrash() {
        var generator = SeededGenerator(state: 7)
        let scope = ManifestScope(invocation: Fixtures.invocation(query: "q"))
        for seed in [#"{{ a.b | default: "x" | url }} and {{ "lit" }}"#, "{{ x ?? y }}", #"^(?<who>[a-z]+)(?<op>\+\+|--)?$"#,
                     "(1+2)*3^2 % sqrt(16)", "3d6+2"] {
            for _ in 0..<400 {
                let text = mutate(seed, using: &generator)
                if let template = try? Template(parsing: text) { _ = template.render(in: scope, escape: .url) }
                _ = SafeRegex.namedGroups(in: text)
                if let regex = try? SafeRegex(pattern: text) { _ = regex.firstMatch(in: "aaa++ bbb", until: .now + .milliseconds(50)) }
                _ = try? Calculator.evaluate(text)
                _ = try? DiceRoll(parsing: text, maxDice: 100, maxSides: 1000)
            }
        }
    }
}
