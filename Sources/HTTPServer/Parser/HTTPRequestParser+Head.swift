extension HTTPRequestParser {
    /// Decodes a complete head (request line, header lines, empty line) whose line structure `scanHead` checked.
    static func decodeHead(
        _ bytes: UnsafeBufferPointer<UInt8>, requestLineEnd: Int
    ) throws(HTTPParseError) -> ParsedRequestHead {
        let lineEnd = requestLineEnd - 2
        var i = 0
        while i < lineEnd, HTTPByte.isTokenChar(bytes[i]) { i += 1 }
        guard i > 0, i < lineEnd, bytes[i] == HTTPByte.space else { throw .malformed("request line") }
        let methodEnd = i
        let targetStart = i + 1
        i = targetStart
        while i < lineEnd, bytes[i] != HTTPByte.space {
            guard HTTPByte.isTargetByte(bytes[i]) else { throw .malformed("request target") }
            i += 1
        }
        guard i > targetStart, i < lineEnd else { throw .malformed("request line") }
        let targetEnd = i
        let version = try Self.version(UnsafeBufferPointer(rebasing: bytes[(targetEnd + 1)..<lineEnd]))

        var fields: [(name: String, value: String)] = []
        fields.reserveCapacity(8)
        var contentLength: Int?
        var transferCodings: [String] = []
        var hasTransferEncoding = false
        var closeToken = false
        var keepAliveToken = false
        var expectsContinue = false
        var unsupportedExpectation = false
        var hostCount = 0

        var lineStart = requestLineEnd
        while true {
            var lf = lineStart
            while bytes[lf] != HTTPByte.lf { lf += 1 }
            if lf - 1 == lineStart { break }
            let line = UnsafeBufferPointer(rebasing: bytes[lineStart..<(lf - 1)])
            let (nameRange, valueRange) = try fieldLine(line)
            let name = UnsafeBufferPointer(rebasing: line[nameRange])
            let value = UnsafeBufferPointer(rebasing: line[valueRange])
            let valueString = String(decoding: value, as: UTF8.self)
            fields.append((name: String(decoding: name, as: UTF8.self), value: valueString))
            switch name.count {
            case 4 where equalsLowercase(name, "host"):
                hostCount += 1
            case 6 where equalsLowercase(name, "expect"):
                if equalsLowercase(value, "100-continue") { expectsContinue = true } else { unsupportedExpectation = true }
            case 10 where equalsLowercase(name, "connection"):
                for token in listElements(value) {
                    if equalsLowercase(token, "close") { closeToken = true }
                    if equalsLowercase(token, "keep-alive") { keepAliveToken = true }
                }
            case 14 where equalsLowercase(name, "content-length"):
                let length = try Self.contentLength(value)
                if let previous = contentLength, previous != length { throw .malformed("conflicting Content-Length") }
                contentLength = length
            case 17 where equalsLowercase(name, "transfer-encoding"):
                hasTransferEncoding = true
                for coding in listElements(value) {
                    transferCodings.append(String(decoding: coding, as: UTF8.self).lowercased())
                }
            default:
                break
            }
            lineStart = lf + 1
        }

        let framing: HTTPBodyFraming
        if hasTransferEncoding {
            guard contentLength == nil else { throw .malformed("both Content-Length and Transfer-Encoding") }
            guard transferCodings == ["chunked"] else { throw .unsupportedTransferEncoding }
            framing = .chunked
        } else if let contentLength {
            framing = .contentLength(contentLength)
        } else {
            framing = .none
        }
        if hostCount > 1 || (hostCount == 0 && version == .http1_1) { throw .malformed("Host header") }

        guard let method = knownMethod(UnsafeBufferPointer(rebasing: bytes[0..<methodEnd])) else {
            throw .unknownMethod
        }
        let target = UnsafeBufferPointer(rebasing: bytes[targetStart..<targetEnd])
        let (path, rawQuery) = try pathAndQuery(target, method: method)
        let targetString = String(decoding: target, as: UTF8.self)
        let head = HTTPRequestHead(
            method: method, target: targetString, path: path ?? targetString, rawQuery: rawQuery, version: version,
            headers: HTTPHeaders(fields))
        let keepAlive = version == .http1_0 ? (keepAliveToken && !closeToken) : !closeToken
        return ParsedRequestHead(
            head: head, framing: framing, keepAlive: keepAlive && !(version == .http1_0 && framing == .chunked),
            expectsContinue: expectsContinue && version != .http1_0,
            hasUnsupportedExpectation: unsupportedExpectation)
    }

    // MARK: Pieces

    /// `HTTP/1.1` or `HTTP/1.0`; a later 1.x minor is served as 1.1, another major is 505.
    static func version(_ bytes: UnsafeBufferPointer<UInt8>) throws(HTTPParseError) -> HTTPVersion {
        guard bytes.count == 8, equalsLowercase(UnsafeBufferPointer(rebasing: bytes[0..<5]), "http/"),
            bytes[0] == UInt8(ascii: "H"), bytes[6] == UInt8(ascii: "."),
            let major = HTTPByte.hexValue(bytes[5]), major < 10, let minor = HTTPByte.hexValue(bytes[7]), minor < 10
        else { throw .malformed("HTTP version") }
        guard major == 1 else { throw .unsupportedVersion }
        return minor == 0 ? .http1_0 : .http1_1
    }

    /// Splits `name: value` into the name and the value without surrounding whitespace, validating both.
    static func fieldLine(_ line: UnsafeBufferPointer<UInt8>) throws(HTTPParseError) -> (Range<Int>, Range<Int>) {
        var i = 0
        while i < line.count, HTTPByte.isTokenChar(line[i]) { i += 1 }
        guard i > 0, i < line.count, line[i] == HTTPByte.colon else {
            if line.first == HTTPByte.space || line.first == HTTPByte.tab { throw .malformed("obsolete line folding") }
            throw .malformed("header field")
        }
        let nameEnd = i
        i += 1
        while i < line.count, line[i] == HTTPByte.space || line[i] == HTTPByte.tab { i += 1 }
        var end = line.count
        while end > i, line[end - 1] == HTTPByte.space || line[end - 1] == HTTPByte.tab { end -= 1 }
        for j in i..<end where !HTTPByte.isFieldValueByte(line[j]) { throw .malformed("header value") }
        return (0..<nameEnd, i..<end)
    }

    static func contentLength(_ value: UnsafeBufferPointer<UInt8>) throws(HTTPParseError) -> Int {
        guard !value.isEmpty, value.count <= 18 else { throw .malformed("Content-Length") }
        var length = 0
        for byte in value {
            guard byte >= 48, byte <= 57 else { throw .malformed("Content-Length") }
            length = length * 10 + Int(byte - 48)
        }
        return length
    }

    /// The non-empty elements of a comma-separated list, trimmed.
    static func listElements(_ value: UnsafeBufferPointer<UInt8>) -> [UnsafeBufferPointer<UInt8>] {
        var elements: [UnsafeBufferPointer<UInt8>] = []
        var start = 0
        for i in 0...value.count where i == value.count || value[i] == UInt8(ascii: ",") {
            var s = start, e = i
            while s < e, value[s] == HTTPByte.space || value[s] == HTTPByte.tab { s += 1 }
            while e > s, value[e - 1] == HTTPByte.space || value[e - 1] == HTTPByte.tab { e -= 1 }
            if e > s { elements.append(UnsafeBufferPointer(rebasing: value[s..<e])) }
            start = i + 1
        }
        return elements
    }

    static func equalsLowercase(_ bytes: UnsafeBufferPointer<UInt8>, _ lower: StaticString) -> Bool {
        guard bytes.count == lower.utf8CodeUnitCount else { return false }
        let expected = lower.utf8Start
        for i in 0..<bytes.count where HTTPByte.lower(bytes[i]) != expected[i] { return false }
        return true
    }

    static func knownMethod(_ bytes: UnsafeBufferPointer<UInt8>) -> HTTPMethod? {
        func matches(_ name: StaticString) -> Bool {
            bytes.count == name.utf8CodeUnitCount && memoryEquals(bytes, name)
        }
        switch bytes.count {
        case 3: return matches("GET") ? .get : matches("PUT") ? .put : nil
        case 4: return matches("POST") ? .post : matches("HEAD") ? .head : nil
        case 5: return matches("PATCH") ? .patch : nil
        case 6: return matches("DELETE") ? .delete : nil
        case 7: return matches("OPTIONS") ? .options : nil
        default: return nil
        }
    }

    private static func memoryEquals(_ bytes: UnsafeBufferPointer<UInt8>, _ name: StaticString) -> Bool {
        let start = name.utf8Start
        for i in 0..<bytes.count where bytes[i] != start[i] { return false }
        return true
    }

    /// The percent-decoded path (`nil` when it equals the target, to share its storage) and the raw query.
    /// Accepts origin-form, absolute-form (`http://host/path`) and `*` for OPTIONS.
    static func pathAndQuery(
        _ target: UnsafeBufferPointer<UInt8>, method: HTTPMethod
    ) throws(HTTPParseError) -> (String?, String) {
        var pathStart = 0
        if target[0] != UInt8(ascii: "/") {
            if target.count == 1, target[0] == UInt8(ascii: "*"), method == .options { return ("*", "") }
            guard let afterScheme = schemeLength(target) else { throw .malformed("request target") }
            var i = afterScheme
            while i < target.count, target[i] != UInt8(ascii: "/"), target[i] != UInt8(ascii: "?") { i += 1 }
            guard i > afterScheme else { throw .malformed("request target") }
            pathStart = i
        }
        var queryStart = pathStart
        while queryStart < target.count, target[queryStart] != UInt8(ascii: "?") { queryStart += 1 }
        let rawPath = UnsafeBufferPointer(rebasing: target[pathStart..<queryStart])
        let rawQuery =
            queryStart < target.count
            ? String(decoding: UnsafeBufferPointer(rebasing: target[(queryStart + 1)...]), as: UTF8.self) : ""
        if rawPath.isEmpty { return ("/", rawQuery) }
        let needsDecoding = rawPath.contains(UInt8(ascii: "%"))
        if !needsDecoding && pathStart == 0 && queryStart == target.count { return (nil, rawQuery) }
        if !needsDecoding { return (String(decoding: rawPath, as: UTF8.self), rawQuery) }
        return (try percentDecoded(rawPath), rawQuery)
    }

    private static func schemeLength(_ target: UnsafeBufferPointer<UInt8>) -> Int? {
        for (scheme, length) in [("http://", 7), ("https://", 8)] where target.count > length {
            var same = true
            for (i, byte) in scheme.utf8.enumerated() where HTTPByte.lower(target[i]) != byte { same = false }
            if same { return length }
        }
        return nil
    }

    /// Decodes `%XX` escapes; a malformed escape is a bad request. Invalid UTF-8 becomes U+FFFD.
    static func percentDecoded(_ bytes: UnsafeBufferPointer<UInt8>) throws(HTTPParseError) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "%") {
                guard i + 2 < bytes.count, let high = HTTPByte.hexValue(bytes[i + 1]),
                    let low = HTTPByte.hexValue(bytes[i + 2])
                else { throw .malformed("percent-encoding in path") }
                out.append(UInt8(high << 4 | low))
                i += 3
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
