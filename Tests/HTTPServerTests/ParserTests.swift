@testable import HTTPServer
import Testing

/// The parser on its own: results must not depend on how the bytes are split into reads.
@Suite struct ParserTests {
    static let limits = HTTPParserLimits(maxRequestLineBytes: 8192, maxHeaderBytes: 65536, maxHeaderCount: 100)

    /// Parses `stream` delivered in pieces of `piece` bytes; returns a log of events (or the error).
    static func run(_ stream: [UInt8], piece: Int, limits: HTTPParserLimits = limits) -> [String] {
        var parser = HTTPRequestParser(limits: limits)
        var pending: [UInt8] = []
        var body: [UInt8] = []
        var log: [String] = []
        var offset = 0
        while offset < stream.count {
            let end = min(stream.count, offset + piece)
            pending += stream[offset..<end]
            offset = end
            parsing: while true {
                do {
                    let (consumed, event) = try pending.withUnsafeBufferPointer { try parser.parse($0, body: &body) }
                    pending.removeFirst(consumed)
                    switch event {
                    case .needMoreData: break parsing
                    case .head(let p):
                        log.append("\(p.head.method) \(p.head.path) \(p.head.rawQuery) \(p.framing) keepAlive=\(p.keepAlive)")
                    case .bodyComplete:
                        log.append("body=\(String(decoding: body, as: UTF8.self))")
                        body = []
                    }
                } catch {
                    log.append("error=\(error)")
                    return log
                }
            }
        }
        return log
    }

    static let pipelined = Array(
        ("\r\nPOST /a%2Fb?x=1 HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello"
            + "PUT /c HTTP/1.1\r\nhost: h\r\ntransfer-encoding: Chunked\r\n\r\n3;e=1\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\nT: 1\r\n\r\n"
            + "GET /d HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
            + "DELETE /e HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n").utf8)

    @Test func everySplitGivesTheSameResult() {
        let whole = Self.run(Self.pipelined, piece: Self.pipelined.count)
        #expect(whole == [
            "POST /a/b x=1 contentLength(5) keepAlive=true", "body=hello",
            "PUT /c  chunked keepAlive=true", "body=abc0123456789abcdef",
            "GET /d  none keepAlive=true",
            "DELETE /e  none keepAlive=false",
        ])
        for piece in 1..<40 {
            #expect(Self.run(Self.pipelined, piece: piece) == whole, "piece size \(piece)")
        }
    }

    @Test func requestLineLimitIsExact() {
        let limits = HTTPParserLimits(maxRequestLineBytes: 20, maxHeaderBytes: 100, maxHeaderCount: 5)
        let fits = Array("GET /\(String(repeating: "a", count: 6)) HTTP/1.1\r\nHost: h\r\n\r\n".utf8)  // line is 20
        let over = Array("GET /\(String(repeating: "a", count: 7)) HTTP/1.1\r\nHost: h\r\n\r\n".utf8)
        #expect(Self.run(fits, piece: 1, limits: limits).first?.hasPrefix("GET") == true)
        #expect(Self.run(over, piece: 1, limits: limits) == ["error=requestLineTooLong"])
        #expect(Self.run(over, piece: over.count, limits: limits) == ["error=requestLineTooLong"])
    }

    @Test func headerCountLimitIsExact() {
        let limits = HTTPParserLimits(maxRequestLineBytes: 100, maxHeaderBytes: 1000, maxHeaderCount: 3)
        let three = Array("GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\n\r\n".utf8)
        let four = Array("GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n".utf8)
        #expect(Self.run(three, piece: 3, limits: limits).count == 1)
        #expect(Self.run(four, piece: 3, limits: limits) == ["error=tooManyHeaders"])
    }

    @Test(arguments: [
        ("0", 0), ("00", 0), ("f", 15), ("A;x=y", 10), ("1 ;x", 1), ("10\t", 16), ("fffffffffffffff", 0xfffffffffffffff),
    ])
    func validChunkSizes(_ line: String, _ size: Int) throws {
        let bytes = Array(line.utf8)
        #expect(try bytes.withUnsafeBufferPointer { try HTTPRequestParser.chunkSize($0) } == size)
    }

    @Test(arguments: ["", ";", "-1", "1x", "0x10", "1;\u{01}", "ffffffffffffffff", " 1"])
    func invalidChunkSizes(_ line: String) {
        let bytes = Array(line.utf8)
        #expect(throws: HTTPParseError.self) {
            try bytes.withUnsafeBufferPointer { try HTTPRequestParser.chunkSize($0) }
        }
    }

    @Test func absoluteFormAndAsterisk() {
        let stream = Array(
            ("GET http://example.com:8080/p%41th?q=1 HTTP/1.1\r\nHost: example.com\r\n\r\n"
                + "OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n" + "GET https://h HTTP/1.1\r\nHost: h\r\n\r\n").utf8)
        #expect(Self.run(stream, piece: 7) == [
            "GET /pAth q=1 none keepAlive=true", "OPTIONS *  none keepAlive=true", "GET /  none keepAlive=true",
        ])
    }

    @Test func http10ChunkedClosesAfterwards() {
        let stream = Array("POST / HTTP/1.0\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n".utf8)
        #expect(Self.run(stream, piece: 5) == ["POST /  chunked keepAlive=false", "body="])
    }
}
