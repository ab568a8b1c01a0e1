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

/// Storage weighs values by `serializedCount`: it must be the compact serialization's length exactly.
@Suite struct JSONSerializedCountTests {
    @Test func countsWhatTheWriterWrites() throws {
        let values: [JSONValue] = [
            .null, true, false, 0, -0.0, 7, -7, 10, 99, 100, -1000, 9_007_199_254_740_992, -9_007_199_254_740_992,
            9_007_199_254_740_994, 0.1, -2.5e-300, 1e300, .number(.nan), .number(.infinity), "", "plain",
            "quote \" backslash \\ newline \n tab \t return \r bell \u{07} nul \u{00} é 😀", [], [1, [2, []]], [:],
            ["b": 1, "a": ["x\"": "y"], "": .null],
        ]
        for value in values { #expect(value.serializedCount == value.serializedBytes().count, "\(value)") }
        var random = SplitMix(seed: 7)
        for _ in 0..<2_000 {
            let value = Self.randomValue(&random, depth: 0)
            #expect(value.serializedCount == value.serializedBytes().count, "\(value)")
        }
    }

    @Test func aCountNotOverALimitIsTheCountOrNothing() throws {
        var random = SplitMix(seed: 11)
        for _ in 0..<2_000 {
            let value = Self.randomValue(&random, depth: 0)
            let count = value.serializedCount
            #expect(value.serializedCount(notOver: count) == count, "\(value)")
            #expect(value.serializedCount(notOver: count + 1 + Int(random.next() % 100)) == count, "\(value)")
            #expect(value.serializedCount(notOver: count - 1) == nil, "\(value)")
            #expect(value.serializedCount(notOver: Int(random.next() % UInt64(count))) == nil, "\(value)")
        }
    }

    static func randomValue(_ random: inout SplitMix, depth: Int) -> JSONValue {
        switch random.next() % (depth > 3 ? 4 : 6) {
        case 0: return .null
        case 1: return .bool(random.next() % 2 == 0)
        case 2:
            let bits = random.next()
            return .number(bits % 3 == 0 ? Double(Int64(bitPattern: bits) >> 20) : Double(bitPattern: bits & 0x7FEF_FFFF_FFFF_FFFF))
        case 3:
            let scalars = (0..<(random.next() % 12)).compactMap { _ in Unicode.Scalar(UInt32(random.next() % 0x3000)) }
            return .string(String(String.UnicodeScalarView(scalars)))
        case 4: return .array((0..<(random.next() % 4)).map { _ in randomValue(&random, depth: depth + 1) })
        default:
            var members: [String: JSONValue] = [:]
            for index in 0..<(random.next() % 4) { members["k\(index)\u{0A}"] = randomValue(&random, depth: depth + 1) }
            return .object(members)
        }
    }
}
