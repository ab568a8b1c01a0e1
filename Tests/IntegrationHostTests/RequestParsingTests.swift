import HostApp
import HostCore
import IntegrationContract
import Logging
import Manifests
import Platforms
import Plugins
import Testing

@Suite struct SlashCommandTests {
    @Test(arguments: [
        ("/deploy prod now", "deploy", "prod now"),
        ("  /echo   hello there \t\n", "echo", "hello there"),
        ("/roll", "roll", ""),
        ("/roll   ", "roll", ""),
        ("/karma\u{00A0}ada++\u{2003}", "karma", "ada++"),
        ("/echo héllo wörld 😀", "echo", "héllo wörld 😀"),
        ("/echo e\u{301}", "echo", "e\u{301}"),
        ("/calc\n(1+2)*3", "calc", "(1+2)*3"),
    ])
    func splitsNameAndQuery(_ message: String, _ name: String, _ query: String) throws {
        let command = try #require(SlashCommand(message: message))
        #expect(command == SlashCommand(name: name, query: query))
    }

    @Test(arguments: ["", "   ", "echo hi", "/", "/ echo", "/../x", "/a/b", "/é", "x /echo", "/" + String(repeating: "a", count: 65)])
    func refusesWhatIsNotACommand(_ message: String) {
        #expect(SlashCommand(message: message) == nil)
    }
}

@Suite struct RequestIDTests {
    @Test func idsAreSixteenHexDigitsAndNeverRepeat() {
        let ids = (0..<50_000).map { _ in RequestID.make() }
        #expect(Set(ids).count == ids.count)
        #expect(ids.allSatisfy { $0.utf8.count == 16 && $0.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) } })
    }
}
