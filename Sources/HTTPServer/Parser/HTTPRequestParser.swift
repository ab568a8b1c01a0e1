/// An incremental HTTP/1.x request parser over bytes. It is fed whatever has arrived, consumes what it can, and
/// reports a complete head, a complete body, or that it needs more. It never buffers on its own: the caller keeps
/// the unconsumed bytes and passes them again, with more appended, on the next call.
///
/// While a head is incomplete nothing is consumed, but the scan resumes where it stopped, so a head that
/// trickles in one byte at a time costs linear work. Every size is checked against `limits` as soon as it is
/// known, before the bytes are kept.
struct HTTPRequestParser: Sendable {
    /// What one call to `parse` found.
    enum Event: Sendable {
        case needMoreData
        case head(ParsedRequestHead)
        case bodyComplete
    }

    private enum State: Sendable {
        case head
        case body(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkDataEnd
        case trailers(bytes: Int, count: Int)
    }

    let limits: HTTPParserLimits
    /// The largest body accepted for the current request; set by the caller once it has seen the head.
    var bodyLimit = Int.max
    /// Body bytes delivered so far for the current request.
    private(set) var bodyBytes = 0
    private var state = State.head
    private var scanOffset = 0
    private var requestLineEnd = -1
    private var lineStart = 0
    private var headerLines = 0
    /// Bytes of an incomplete chunk-size or trailer line already searched for its LF.
    private var lineScanned = 0

    init(limits: HTTPParserLimits) { self.limits = limits }

    /// Whether the parser is between requests with nothing of the next one seen yet.
    var isIdle: Bool {
        if case .head = state { return scanOffset == 0 && requestLineEnd < 0 }
        return false
    }

    /// Whether a body is being read.
    var isReadingBody: Bool {
        if case .head = state { return false }
        return true
    }

    /// Consumes a prefix of `input`. De-chunked body bytes are appended to `body`.
    mutating func parse(
        _ input: UnsafeBufferPointer<UInt8>, body: inout [UInt8]
    ) throws(HTTPParseError) -> (consumed: Int, event: Event) {
        var consumed = 0
        while true {
            let rest = UnsafeBufferPointer(rebasing: input[consumed...])
            switch state {
            case .head:
                if scanOffset == 0 && requestLineEnd < 0 {
                    let skipped = Self.leadingEmptyLines(rest)
                    if skipped > 0 {
                        consumed += skipped
                        continue
                    }
                    // A lone CR may be the start of another empty line: wait for the byte after it.
                    if rest.count == 1 && rest[0] == HTTPByte.cr { return (consumed, .needMoreData) }
                }
                guard let end = try scanHead(rest) else { return (consumed, .needMoreData) }
                let parsed = try Self.decodeHead(UnsafeBufferPointer(rebasing: rest[0..<end]), requestLineEnd: requestLineEnd)
                consumed += end
                scanOffset = 0
                requestLineEnd = -1
                lineStart = 0
                headerLines = 0
                bodyBytes = 0
                bodyLimit = .max
                switch parsed.framing {
                case .none, .contentLength(0): state = .head
                case .contentLength(let length): state = .body(remaining: length)
                case .chunked: state = .chunkSize
                }
                return (consumed, .head(parsed))

            case .body(let remaining):
                if rest.isEmpty { return (consumed, .needMoreData) }
                let n = min(remaining, rest.count)
                try appendBody(UnsafeBufferPointer(rebasing: rest[0..<n]), to: &body, total: bodyBytes + remaining)
                consumed += n
                if n == remaining {
                    state = .head
                    return (consumed, .bodyComplete)
                }
                state = .body(remaining: remaining - n)
                return (consumed, .needMoreData)

            case .chunkSize:
                let window = min(rest.count, limits.maxChunkLineBytes + 2)
                guard let lf = Self.indexOfLF(rest, from: lineScanned, to: window) else {
                    if rest.count >= limits.maxChunkLineBytes + 2 { throw .malformed("chunk size line too long") }
                    lineScanned = window
                    return (consumed, .needMoreData)
                }
                lineScanned = 0
                guard lf > 0, rest[lf - 1] == HTTPByte.cr else { throw .malformed("chunk size line") }
                let size = try Self.chunkSize(UnsafeBufferPointer(rebasing: rest[0..<(lf - 1)]))
                consumed += lf + 1
                if size == 0 {
                    state = .trailers(bytes: 0, count: 0)
                } else {
                    if size > bodyLimit - bodyBytes { throw .bodyTooLarge }
                    state = .chunkData(remaining: size)
                }

            case .chunkData(let remaining):
                if rest.isEmpty { return (consumed, .needMoreData) }
                let n = min(remaining, rest.count)
                try appendBody(UnsafeBufferPointer(rebasing: rest[0..<n]), to: &body, total: bodyLimit)
                consumed += n
                state = n == remaining ? .chunkDataEnd : .chunkData(remaining: remaining - n)

            case .chunkDataEnd:
                if rest.count < 2 {
                    if rest.count == 1 && rest[0] != HTTPByte.cr { throw .malformed("chunk data not followed by CRLF") }
                    return (consumed, .needMoreData)
                }
                guard rest[0] == HTTPByte.cr, rest[1] == HTTPByte.lf else {
                    throw .malformed("chunk data not followed by CRLF")
                }
                consumed += 2
                state = .chunkSize

            case .trailers(let bytes, let count):
                let room = limits.maxHeaderBytes - bytes
                let window = min(rest.count, room)
                guard let lf = Self.indexOfLF(rest, from: lineScanned, to: window) else {
                    if rest.count >= room { throw .headerBlockTooLarge }
                    lineScanned = window
                    return (consumed, .needMoreData)
                }
                lineScanned = 0
                guard lf > 0, rest[lf - 1] == HTTPByte.cr else { throw .malformed("bare LF in trailers") }
                if lf == 1 {
                    consumed += 2
                    state = .head
                    return (consumed, .bodyComplete)
                }
                guard count < limits.maxHeaderCount else { throw .tooManyHeaders }
                _ = try Self.fieldLine(UnsafeBufferPointer(rebasing: rest[0..<(lf - 1)]))
                consumed += lf + 1
                state = .trailers(bytes: bytes + lf + 1, count: count + 1)
            }
        }
    }

    /// Appends to the one body buffer, which grows by doubling but never past `total`, the most the body can reach
    /// (its declared length, or the limit of a chunked one): a body near the limit never costs a buffer twice its
    /// size.
    private mutating func appendBody(
        _ bytes: UnsafeBufferPointer<UInt8>, to body: inout [UInt8], total: Int
    ) throws(HTTPParseError) {
        guard bytes.count <= bodyLimit - bodyBytes else { throw .bodyTooLarge }
        let needed = body.count + bytes.count
        if needed > body.capacity { body.reserveCapacity(max(needed, min(body.capacity * 2, total))) }
        body.append(contentsOf: bytes)
        bodyBytes += bytes.count
    }

    // MARK: Head scanning

    /// Finds the end of the head (just past the empty line), resuming the previous scan; `nil` if incomplete.
    private mutating func scanHead(_ rest: UnsafeBufferPointer<UInt8>) throws(HTTPParseError) -> Int? {
        var i = scanOffset
        if requestLineEnd < 0 {
            let window = min(rest.count, limits.maxRequestLineBytes + 2)
            guard let lf = Self.indexOfLF(rest, from: i, to: window) else {
                if rest.count >= limits.maxRequestLineBytes + 2 { throw .requestLineTooLong }
                scanOffset = rest.count
                return nil
            }
            guard lf > 0, rest[lf - 1] == HTTPByte.cr else { throw .malformed("bare LF in request line") }
            if lf - 1 > limits.maxRequestLineBytes { throw .requestLineTooLong }
            requestLineEnd = lf + 1
            lineStart = lf + 1
            i = lf + 1
        }
        let blockEnd = requestLineEnd + limits.maxHeaderBytes
        while true {
            let window = min(rest.count, blockEnd)
            guard let lf = Self.indexOfLF(rest, from: i, to: window) else {
                if rest.count >= blockEnd { throw .headerBlockTooLarge }
                scanOffset = rest.count
                return nil
            }
            guard lf > lineStart, rest[lf - 1] == HTTPByte.cr else { throw .malformed("bare LF in header block") }
            if lf - 1 == lineStart { return lf + 1 }
            headerLines += 1
            if headerLines > limits.maxHeaderCount { throw .tooManyHeaders }
            lineStart = lf + 1
            i = lf + 1
        }
    }

    private static func indexOfLF(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int) -> Int? {
        var i = start
        while i < end {
            if bytes[i] == HTTPByte.lf { return i }
            i += 1
        }
        return nil
    }

    /// The number of bytes of CRLF pairs at the start (clients may send one after a body; RFC 9112 §2.2).
    private static func leadingEmptyLines(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        var i = 0
        while i + 1 < bytes.count, bytes[i] == HTTPByte.cr, bytes[i + 1] == HTTPByte.lf { i += 2 }
        return i
    }

    // MARK: Chunks

    /// Parses `hex-size [BWS ; extensions]` (the line without its CRLF).
    static func chunkSize(_ line: UnsafeBufferPointer<UInt8>) throws(HTTPParseError) -> Int {
        var size = 0
        var i = 0
        while i < line.count, let digit = HTTPByte.hexValue(line[i]) {
            guard i < 15 else { throw .malformed("chunk size too large") }
            size = size << 4 | digit
            i += 1
        }
        guard i > 0 else { throw .malformed("chunk size") }
        while i < line.count, line[i] == HTTPByte.space || line[i] == HTTPByte.tab { i += 1 }
        if i == line.count { return size }
        guard line[i] == HTTPByte.semicolon else { throw .malformed("chunk size") }
        while i < line.count {
            guard HTTPByte.isFieldValueByte(line[i]) else { throw .malformed("chunk extension") }
            i += 1
        }
        return size
    }
}
