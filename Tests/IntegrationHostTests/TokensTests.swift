import HostApp
import HostCore
import IntegrationContract
import Logging
import Manifests
import Platforms
import Plugins
import Testing

@Suite struct TokensTests {
    @Test func globalAndRoomTokens() throws {
        let tokens = try Tokens(parsing: ["1234:deploy:ROOMTOKEN", "send_message:GLOBALTOKEN"])
        #expect(tokens.global == ["send_message": "GLOBALTOKEN"])
        #expect(tokens.token(room: "1234", integration: "deploy") == "ROOMTOKEN")
        #expect(tokens.token(room: "1234", integration: "other") == nil)
        #expect(tokens.token(room: "99", integration: "deploy") == nil)
    }

    @Test func valuesMayContainColons() throws {
        let tokens = try Tokens(parsing: ["url:https://x.example:8443/a", "7:hook:a:b:c"])
        #expect(tokens.global["url"] == "https://x.example:8443/a")
        #expect(tokens.token(room: "7", integration: "hook") == "a:b:c")
    }

    @Test(arguments: [
        ("novalue", "token #1 is malformed: expected NAME:VALUE or ROOM:INTEGRATION:VALUE"),
        ("name:", "token name has an empty value"),
        (":value", "token #1 is malformed: NAME must match [A-Za-z0-9_.-]{1,64}"),
        ("1234:x", "token #1 (room 1234) is malformed: expected ROOM:INTEGRATION:VALUE"),
        ("1234:../x:v", "token #1 (room 1234): integration name must match [A-Za-z0-9_-]{1,64}"),
        ("1234:deploy:", "token #1 (room 1234, deploy) has an empty value"),
        ("bad name:v", "token #1 is malformed: NAME must match [A-Za-z0-9_.-]{1,64}"),
    ])
    func malformed(_ argument: String, _ message: String) {
        #expect(throws: Tokens.ParseError(description: message)) { try Tokens(parsing: [argument]) }
    }

    @Test func duplicates() {
        #expect(throws: Tokens.ParseError(description: "duplicate global token a")) {
            try Tokens(parsing: ["a:1", "a:2"])
        }
        #expect(throws: Tokens.ParseError(description: "duplicate token for room 1 and integration x")) {
            try Tokens(parsing: ["1:x:1", "1:x:2"])
        }
    }

    @Test func errorsAndDescriptionNeverShowValues() {
        let secret = "S3CRET-VALUE"
        for argument in ["1234:x:\(secret)", "n:\(secret)"] {
            do {
                _ = try Tokens(parsing: [argument, argument])
                Issue.record("duplicate accepted")
            } catch {
                #expect(!error.description.contains(secret))
            }
        }
        let tokens = try! Tokens(parsing: ["1:x:\(secret)", "n:\(secret)"])
        #expect(!tokens.description.contains(secret))
        #expect(!"\(tokens)".contains(secret))
    }
}
