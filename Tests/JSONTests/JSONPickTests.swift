import JSON
import Testing

/// `JSONValue.pick` must agree with parsing the whole document and following each path, for every input.
@Suite struct JSONPickTests {
    static let hipchat = #"""
        {"event":"room_message","item":{"message":{"from":{"id":123,"mention_name":"Ada","name":"Ada L"},
        "mentions":[],"message":"/echo testing me"},"room":{"id":123,"name":"TestRoom"}},"webhook_id":123}
        """#

    @Test func picksThePathsItIsAsked() throws {
        let paths = JSONPaths(["item.message.message", "item.room.id", "item.message.from", "missing.x", "event"])
        let pick = try JSONValue.pick(paths, from: Array(Self.hipchat.utf8))
        #expect(pick.rootKind == .object)
        #expect(pick.scalarRoot == nil)
        #expect(pick["item.message.message"] == "/echo testing me")
        #expect(pick["item.room.id"] == 123)
        #expect(pick["item.message.from"] == ["id": 123, "mention_name": "Ada", "name": "Ada L"])
        #expect(pick["missing.x"] == nil)
        #expect(pick["event"] == "room_message")
    }

    @Test func aPathAndOneBelowItBothAnswer() throws {
        let paths = JSONPaths(["a", "a.b", "a.", "c.1.d", "c.01.d"])
        let pick = try JSONValue.pick(paths, from: Array(#"{"a":{"b":[1],"":2},"c":[0,{"d":"x"}]}"#.utf8))
        #expect(pick["a"] == ["b": [1], "": 2])
        #expect(pick["a.b"] == [1])
        #expect(pick["a."] == 2)
        #expect(pick["c.1.d"] == "x")
        #expect(pick["c.01.d"] == "x")
    }

    @Test func theLastOfRepeatedMembersWins() throws {
        let paths = JSONPaths(["a.b", "a.c"])
        let pick = try JSONValue.pick(paths, from: Array(#"{"a":{"b":1},"a":{"c":2}}"#.utf8))
        #expect(pick["a.b"] == nil)
        #expect(pick["a.c"] == 2)
    }

    @Test func escapedAndNonASCIINamesMatch() throws {
        let paths = JSONPaths(["é.a\"b"])
        let pick = try JSONValue.pick(paths, from: Array(#"{"\u00e9":{"a\"b":"\u00e9"}}"#.utf8))
        #expect(pick["é.a\"b"] == "é")
    }

    @Test func aScalarRootComesBackWhole() throws {
        let pick = try JSONValue.pick(JSONPaths(["text"]), from: Array(#" "just text" "#.utf8))
        #expect(pick.rootKind == .scalar)
        #expect(pick.scalarRoot == "just text")
        #expect(pick["text"] == nil)
    }

    @Test(arguments: [
        "", "{", "[1,]", "{\"a\" 1}", "01", "1.", "-", "\"\\x\"", "\"a", "tru", "[1] 2", "\"\u{01}\"",
        "\"\\ud800\"", "1e999", #"{"x":[1,{"y":"\u{01}"}]}"#, #"{"item":{"room":{"id":1e999}}}"#, #"{"a":1,}"#,
        #"{"skip":"é\u{01}"}"#, #"{"skip":[tru]}"#,
    ])
    func rejectsWhatTheParserRejects(_ text: String) throws {
        let paths = JSONPaths(["item.room.id", "x.1"])
        let parseError = #expect(throws: JSONParseError.self) { try JSONValue(parsing: text) }
        let pickError = #expect(throws: JSONParseError.self) { try JSONValue.pick(paths, from: Array(text.utf8)) }
        #expect(parseError == pickError)
    }

    @Test func rejectsInvalidUTF8AndDeepNestingInSkippedParts() {
        let paths = JSONPaths(["a"])
        #expect(throws: JSONParseError.self) { try JSONValue.pick(paths, from: [0x7B, 0x22, 0x62, 0x22, 0x3A, 0x22, 0xFF, 0x22, 0x7D]) }
        let deep = "{\"b\":" + String(repeating: "[", count: 300) + String(repeating: "]", count: 300) + "}"
        #expect(throws: JSONParseError.self) { try JSONValue.pick(paths, from: Array(deep.utf8)) }
    }

    /// Mutations of a few documents (bytes replaced, dropped, duplicated): for each, pick and parse either both
    /// fail with the same error or agree on every path.
    @Test func agreesWithTheParserOnMutatedDocuments() throws {
        let seeds = [
            Self.hipchat,
            #"{"commits":[{"id":"abc","message":"fix \"quotes\" \u00e9"},{"id":"def"}],"ref":"refs/heads/main","a":{"a":{"a":1}}}"#,
            #"[{"text":"x"},["a",{"b":null}],-0.5e-3,true,"\ud83d\ude00"]"#,
            // A JSON body inside a JSON string, as a plugin request carries it: escapes every few bytes.
            #"{"raw_body":"{\"event\":\"room_message\",\"item\":{\"message\":\"/echo hi\\n\\t\"}}","text":"x","a":{"a":{"a":"\/\b\f\r"}}}"#,
        ]
        let paths = JSONPaths([
            "item.message.message", "item.room", "commits.0.id", "commits.1", "ref", "a.a.a", "0.text", "1.1.b", "3",
            "text", "event", "webhook_id",
        ])
        var random = SplitMix(seed: 42)
        let alphabet = Array(#"{}[],:"\ 0123456789.eE-+tfnulrsaé\/"#.utf8)
        var agreed = 0
        for _ in 0..<20_000 {
            var bytes = Array(seeds[Int(random.next() % UInt64(seeds.count))].utf8)
            for _ in 0...(random.next() % 3) {
                let at = Int(random.next() % UInt64(bytes.count))
                switch random.next() % 3 {
                case 0: bytes[at] = alphabet[Int(random.next() % UInt64(alphabet.count))]
                case 1: bytes.remove(at: at)
                default: bytes.insert(bytes[at], at: at)
                }
                if bytes.isEmpty { bytes = [0x30] }
            }
            let parsed = Result { () throws(JSONParseError) in try JSONValue(parsing: bytes, maxDepth: 3) }
            let picked = Result { () throws(JSONParseError) in try JSONValue.pick(paths, from: bytes, maxDepth: 3) }
            let members = Result { () throws(JSONParseError) in
                try bytes.withUnsafeBufferPointer { buffer throws(JSONParseError) in
                    try JSONValue.objectMembers(in: buffer, maxDepth: 3)
                }
            }
            switch (parsed, members) {
            case (.success(.object(let object)), .success(let found?)):
                // Every member's range holds exactly its value (the last of repeated names wins, as in the object).
                var last: [String: JSONValue] = [:]
                for member in found { last[member.name] = try JSONValue(parsing: bytes[member.range]) }
                #expect(last == object)
            case (.success(.object), _):
                Issue.record("objectMembers found no object in \(String(decoding: bytes, as: UTF8.self))")
            case (.success, .success(let found)):
                #expect(found == nil)
            case (.failure(let parseError), .failure(let membersError)):
                #expect(parseError == membersError, "\(String(decoding: bytes, as: UTF8.self))")
            default:
                Issue.record("parse and objectMembers disagree on \(String(decoding: bytes, as: UTF8.self))")
            }
            switch (parsed, picked) {
            case (.success(let document), .success(let pick)):
                for path in paths.paths {
                    #expect(pick[path] == document.value(atPath: path), "\(path) in \(String(decoding: bytes, as: UTF8.self))")
                }
                switch document {
                case .object: #expect(pick.rootKind == .object)
                case .array: #expect(pick.rootKind == .array)
                default: #expect(pick.scalarRoot == document)
                }
                agreed += 1
            case (.failure(let parseError), .failure(let pickError)):
                #expect(parseError == pickError, "\(String(decoding: bytes, as: UTF8.self))")
            default:
                Issue.record("parse and pick disagree on \(String(decoding: bytes, as: UTF8.self))")
            }
        }
        #expect(agreed > 1_000)
    }
}

/// The string scanner reads eight bytes at a time: a quote, backslash, control character or non-ASCII byte must be
/// seen at every position of a word, and strings of every length must come back whole.
@Suite struct JSONStringScanTests {
    @Test func specialBytesAreSeenAtEveryPosition() throws {
        for length in 0..<40 {
            let plain = String(repeating: "a", count: length)
            #expect(try JSONValue(parsing: "\"\(plain)\"") == .string(plain))
            for position in 0..<length {
                var text = Array(plain.utf8)
                text[position] = UInt8(ascii: "\"")
                // A quote inside ends the string early: the rest is data after the document.
                #expect(throws: JSONParseError.self) { try JSONValue(parsing: [UInt8(ascii: "\"")] + text + [UInt8(ascii: "\"")]) }
                let escaped = String(plain.prefix(position)) + "\\n" + String(plain.dropFirst(position))
                #expect(try JSONValue(parsing: "\"\(escaped)\"") == .string(String(plain.prefix(position)) + "\n" + String(plain.dropFirst(position))))
                let accented = String(plain.prefix(position)) + "é" + String(plain.dropFirst(position + 1))
                #expect(try JSONValue(parsing: "\"\(accented)\"") == .string(accented))
                var control = Array(plain.utf8)
                control[position] = 0x01
                let error = #expect(throws: JSONParseError.self) {
                    try JSONValue(parsing: [UInt8(ascii: "\"")] + control + [UInt8(ascii: "\"")])
                }
                #expect(error?.offset == position + 1)
                let picked = #expect(throws: JSONParseError.self) {
                    try JSONValue.pick(JSONPaths(["b"]), from: Array("{\"a\":\"".utf8) + control + Array("\"}".utf8))
                }
                #expect(picked?.offset == position + 6)
            }
        }
    }
}

/// A small deterministic generator, so a failure reproduces.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
