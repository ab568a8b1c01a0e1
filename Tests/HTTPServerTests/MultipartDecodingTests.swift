import HTTPServer
import TestSupport
import Testing

/// `multipart/form-data` framing (RFC 7578, RFC 2046 section 5.1.1): parts, limits, and bad input as failures,
/// never crashes.
@Suite struct MultipartDecodingTests {
    static func body(_ boundary: String, _ parts: [String], preamble: String = "", epilogue: String = "") -> [UInt8] {
        var text = preamble.isEmpty ? "" : preamble + "\r\n"
        for part in parts { text += "--\(boundary)\r\n\(part)\r\n" }
        text += "--\(boundary)--" + epilogue
        return Array(text.utf8)
    }

    static let sample = body("XyZ", [
        "Content-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\nworld",
        "Content-Disposition: form-data; name=\"upload\"; filename=\"a \\\"b\\\".txt\"\r\nContent-Type: text/plain\r\n\r\nfile -- bytes",
        "content-disposition: FORM-DATA; name=empty\r\n\r\n",
    ], preamble: "ignored preamble", epilogue: "\r\nignored epilogue")

    @Test func fieldsAndFiles() throws {
        let parts = try MultipartDecoding.parts(Self.sample, boundary: "XyZ")
        #expect(parts.map(\.name) == ["note", "upload", "empty"])
        #expect(parts[0].body == Array("hello\r\nworld".utf8) && parts[0].filename == nil)
        #expect(parts[1].filename == "a \"b\".txt" && parts[1].contentType == "text/plain")
        #expect(parts[1].body == Array("file -- bytes".utf8))
        #expect(parts[2].body.isEmpty)
        #expect(try MultipartDecoding.parts(Array("--b--".utf8), boundary: "b").isEmpty)
        let padded = Array("--b \t\r\nContent-Disposition: form-data; name=x\r\n\r\n1\r\n--b--".utf8)
        #expect(try MultipartDecoding.parts(padded, boundary: "b").map(\.body) == [[UInt8(ascii: "1")]])
    }

    @Test func boundaryParameter() {
        #expect(MultipartDecoding.boundary(contentType: "multipart/form-data; boundary=abc") == "abc")
        #expect(MultipartDecoding.boundary(contentType: "multipart/form-data; charset=utf-8; BOUNDARY=\"a b;c\"") == "a b;c")
        #expect(MultipartDecoding.boundary(contentType: "multipart/form-data") == nil)
        #expect(MultipartDecoding.boundary(contentType: "multipart/form-data; boundary=") == nil)
        #expect(MultipartDecoding.boundary(contentType: "multipart/form-data; boundary=" + String(repeating: "x", count: 71)) == nil)
    }

    @Test func malformedBodiesAreFailures() {
        let cases: [(body: String, boundary: String, reason: String)] = [
            ("no delimiter here", "b", "no boundary b in the body"),
            ("--bContent-Disposition: form-data; name=x\r\n\r\n1\r\n--b--", "b", "no CRLF after a boundary"),
            ("--b\r\nContent-Disposition: form-data; name=x\r\n\r\n1", "b", "a part does not end with the boundary"),
            ("--b\r\nContent-Disposition: form-data; name=x\r\n1\r\n--b--", "b", "a part's headers do not end"),
            ("--b\r\nContent-Type: text/plain\r\n\r\n1\r\n--b--", "b", "a part without a Content-Disposition name"),
            ("--b\r\nContent-Disposition: attachment; name=x\r\n\r\n1\r\n--b--", "b", "a part that is not form-data"),
            ("--b\r\nno colon\r\n\r\n1\r\n--b--", "b", "a part header without a colon"),
            ("--b\r\n\r\n1\r\n--b--", "b", "a part without a Content-Disposition name"),
            ("--b\r\nContent-Disposition: form-data; name=x\r\n\r\n1\r\n--b", "b", "no CRLF after a boundary"),
        ]
        for (body, boundary, reason) in cases {
            #expect(throws: MultipartDecoding.Failure(reason: reason), "\(body)") {
                try MultipartDecoding.parts(Array(body.utf8), boundary: boundary)
            }
        }
    }

    @Test func limits() {
        let limits = MultipartDecoding.Limits(maxParts: 2, maxPartBytes: 4, maxHeaderBytes: 64)
        let field = "Content-Disposition: form-data; name=f\r\n\r\n"
        #expect(throws: MultipartDecoding.Failure(reason: "more than 2 parts")) {
            try MultipartDecoding.parts(Self.body("b", [field + "1", field + "2", field + "3"]), boundary: "b", limits: limits)
        }
        #expect(throws: MultipartDecoding.Failure(reason: "part f is larger than 4 bytes")) {
            try MultipartDecoding.parts(Self.body("b", [field + "12345"]), boundary: "b", limits: limits)
        }
        let longHeader = "X-Pad: " + String(repeating: "p", count: 100) + "\r\n" + field + "1"
        #expect(throws: MultipartDecoding.Failure(reason: "a part's headers are longer than 64 bytes")) {
            try MultipartDecoding.parts(Self.body("b", [longHeader]), boundary: "b", limits: limits)
        }
        #expect((try? MultipartDecoding.parts(Self.body("b", [field + "1234", field + "5"]), boundary: "b", limits: limits))?.count == 2)
    }

    /// 20,000 deterministic mutations of a good body (bytes changed, cut, repeated, CRLFs and boundary pieces
    /// spliced in): each decodes or fails cleanly, and decoded parts lie within the body.
    @Test func mutatedBodiesNeverCrash() {
        var random = SplitMix(seed: 15)
        let pieces: [[UInt8]] = [[13, 10], [13], [10], Array("--XyZ".utf8), Array("--XyZ--".utf8), Array("\r\n--XyZ".utf8), [34], [59], [0]]
        var decoded = 0
        for _ in 0..<20_000 {
            var body = Self.sample
            for _ in 0...(random.next() % 4) {
                let at = Int(random.next() % UInt64(body.count + 1))
                switch random.next() % 5 {
                case 0 where at < body.count: body[at] = UInt8(truncatingIfNeeded: random.next())
                case 1: body.removeSubrange(at...)
                case 2: body.insert(contentsOf: pieces[Int(random.next() % UInt64(pieces.count))], at: at)
                case 3 where at < body.count: body.removeSubrange(at..<min(body.count, at + Int(random.next() % 16)))
                default: body.insert(contentsOf: body[at...].prefix(32), at: at)
                }
                if body.isEmpty { body = [45] }
            }
            if let parts = try? MultipartDecoding.parts(body, boundary: "XyZ") {
                decoded += 1
                #expect(parts.allSatisfy { $0.body.count <= body.count })
            }
        }
        #expect(decoded > 0)
    }
}
