import JSON
import Testing

@Suite struct JSONValueTests {
    @Test func parsesEveryKind() throws {
        let value = try JSONValue(parsing: #" {"a": [1, -2.5e2, true, false, null], "s": "x\"\u00e9\ud83d\ude00\n"} "#)
        #expect(value["a"] == [1, -250, true, false, nil])
        #expect(value["s"] == "x\"é😀\n")
    }

    @Test(arguments: [
        "", "{", "[1,]", "{\"a\" 1}", "01", "1.", "-", "\"\\x\"", "\"a", "tru", "[1] 2", "\"\u{01}\"",
        "\"\\ud800\"", "1e999",
    ])
    func rejectsMalformed(_ text: String) {
        #expect(throws: JSONParseError.self) { try JSONValue(parsing: text) }
    }

    @Test func integersAndDecimalsParseExactly() throws {
        #expect(try JSONValue(parsing: "[0, -12, 123456789012345, 1234567890123456789, 1.5e3, -0.25, 10E-1]") == [
            0, -12, 123_456_789_012_345, .number(1.2345678901234568e18), 1500, -0.25, 1,
        ])
        #expect(try JSONValue(parsing: #"{"a": 1, "a": 2}"#) == ["a": 2])
        #expect(try JSONValue(parsing: #""ascii only""#) == "ascii only")
    }

    @Test func rejectsDeepNesting() {
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect(throws: JSONParseError.self) { try JSONValue(parsing: deep) }
    }

    @Test func rejectsInvalidUTF8() {
        #expect(throws: JSONParseError.self) { try JSONValue(parsing: [0x22, 0xFF, 0x22]) }
    }

    @Test func writesCompactSortedAndRoundTrips() throws {
        let value: JSONValue = ["b": [1, 2.5, "t\u{01}\"\\"], "a": ["n": nil, "t": true]]
        #expect(value.serialized() == #"{"a":{"n":null,"t":true},"b":[1,2.5,"t\u0001\"\\"]}"#)
        #expect(try JSONValue(parsing: value.serialized()) == value)
    }

    @Test func writesPrettyLikePythonIndent4() {
        let value: JSONValue = ["karma": ["ada": 3], "empty": [:]]
        #expect(value.serialized(.pretty(indent: 4)) == """
            {
                "empty": {},
                "karma": {
                    "ada": 3
                }
            }
            """)
    }

    @Test func followsDotPaths() throws {
        let value = try JSONValue(parsing: #"{"commits":[{"id":"abc"}],"n":{"m":1}}"#)
        #expect(value.value(atPath: "commits.0.id") == "abc")
        #expect(value.value(atPath: "n.m")?.intValue == 1)
        #expect(value.value(atPath: "commits.1.id") == nil)
        #expect(value.value(atPath: "n.m.x") == nil)
    }

    @Test func plainTextOfNumbers() {
        #expect(JSONValue.number(3).plainText == "3")
        #expect(JSONValue.number(0.5).plainText == "0.5")
        #expect(JSONValue.null.plainText == "")
    }
}
