// libFuzzer entry point for HTTPRequestParser. Not a SwiftPM target: `.ci/fuzz.sh` compiles it together with
// the parser's source files (`swiftc -sanitize=fuzzer,address -parse-as-library`).
//
// Input layout: byte 0 picks how the input is split into reads (1...64 bytes, or all at once) and byte 1 the
// body limit; the rest is the byte stream a client sent. The harness parses the stream twice, all at once and in
// pieces kept in a pending buffer exactly as the event loop does, and traps if the two disagree, if the parser
// consumes more than it was given, or if a body outgrows its limit.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHTTPParser(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 2 else { return 0 }
    let piece = Int(data[0] % 65)
    let bodyLimit = Int(data[1]) * 16
    let stream = Array(UnsafeBufferPointer(start: data + 2, count: size - 2))
    let whole = FuzzRun.parse(stream, pieceSize: stream.count + 1, bodyLimit: bodyLimit)
    let pieces = FuzzRun.parse(stream, pieceSize: max(piece, 1), bodyLimit: bodyLimit)
    if whole != pieces {
        fatalError("split-dependent result:\n\(whole)\nvs\n\(pieces)")
    }
    return 0
}

enum FuzzRun {
    static let limits = HTTPParserLimits(maxRequestLineBytes: 200, maxHeaderBytes: 400, maxHeaderCount: 12)

    /// Feeds `stream` in pieces of `pieceSize`, returning a log of events and the error that ended it, if any.
    static func parse(_ stream: [UInt8], pieceSize: Int, bodyLimit: Int) -> [String] {
        var parser = HTTPRequestParser(limits: limits)
        var pending: [UInt8] = []
        var body: [UInt8] = []
        var log: [String] = []
        var offset = 0
        while offset < stream.count {
            let end = min(stream.count, offset + pieceSize)
            pending.append(contentsOf: stream[offset..<end])
            offset = end
            while true {
                let step: (consumed: Int, event: HTTPRequestParser.Event)
                do {
                    step = try pending.withUnsafeBufferPointer { try parser.parse($0, body: &body) }
                } catch {
                    log.append("error \(error)")
                    return log
                }
                precondition(step.consumed >= 0 && step.consumed <= pending.count, "consumed past the input")
                precondition(body.count <= max(bodyLimit, 0) || !parser.isReadingBody || parser.bodyLimit == .max)
                pending.removeFirst(step.consumed)
                switch step.event {
                case .needMoreData:
                    break
                case .head(let parsed):
                    let h = parsed.head
                    log.append(
                        "head \(h.method) \(h.target) \(h.path) \(h.rawQuery) \(h.version) \(parsed.framing) "
                            + "\(parsed.keepAlive) \(parsed.expectsContinue) \(h.headers.map { "\($0.name)=\($0.value)" })")
                    parser.bodyLimit = bodyLimit
                    if case .contentLength(let n) = parsed.framing, n > bodyLimit {
                        log.append("refused \(n)")
                        return log
                    }
                    continue
                case .bodyComplete:
                    precondition(body.count <= bodyLimit, "body over its limit")
                    log.append("body \(body)")
                    body = []
                    continue
                }
                break
            }
        }
        return log
    }
}
