/// Serializes a response head and body into one buffer, ready for a single write.
///
/// The server owns framing: any `Content-Length`, `Transfer-Encoding` or `Connection` field from the handler is
/// replaced, a 205's body is dropped, a `Date` is added unless the handler set one, and fields whose name or value could break the
/// message (CR, LF, NUL, non-token names) are dropped.
enum HTTPResponseEncoder {
    /// The bytes to send and whether the connection closes after them.
    static func encode(
        _ response: HTTPResponse, isHeadRequest: Bool, requestVersion: HTTPVersion, keepAlive: Bool
    ) -> (bytes: [UInt8], close: Bool) {
        var status = response.status
        if status.code < 200 || status.code > 999 { status = .internalServerError }
        let bodyAllowed = status.code != 204 && status.code != 304
        // 205 Reset Content carries no content (RFC 9110 §15.3.6): `Content-Length: 0`, whatever the handler gave.
        let body = status.code == 205 ? [] : response.body
        var close = !keepAlive
        var hasDate = false

        var out: [UInt8] = []
        out.reserveCapacity(160 + response.headers.count * 32 + (isHeadRequest ? 0 : body.count))
        out.append(contentsOf: "HTTP/1.1 ".utf8)
        appendDecimal(status.code, to: &out)
        out.append(HTTPByte.space)
        out.append(contentsOf: status.reasonPhrase.utf8)
        out.append(contentsOf: "\r\n".utf8)

        for (name, value) in response.headers {
            guard isValidName(name), isValidValue(value) else { continue }
            let utf8 = name.utf8
            switch utf8.count {
            case 4 where HTTPHeaders.sameName(name, "date"):
                hasDate = true
            case 10 where HTTPHeaders.sameName(name, "connection"):
                if value.lowercased().contains("close") { close = true }
                continue
            case 14 where HTTPHeaders.sameName(name, "content-length"):
                continue
            case 17 where HTTPHeaders.sameName(name, "transfer-encoding"):
                continue
            default:
                break
            }
            out.append(contentsOf: utf8)
            out.append(contentsOf: ": ".utf8)
            out.append(contentsOf: value.utf8)
            out.append(contentsOf: "\r\n".utf8)
        }
        if bodyAllowed {
            out.append(contentsOf: "Content-Length: ".utf8)
            appendDecimal(body.count, to: &out)
            out.append(contentsOf: "\r\n".utf8)
        }
        if !hasDate {
            out.append(contentsOf: "Date: ".utf8)
            out.append(contentsOf: HTTPDate.now())
            out.append(contentsOf: "\r\n".utf8)
        }
        if close {
            out.append(contentsOf: "Connection: close\r\n".utf8)
        } else if requestVersion == .http1_0 {
            out.append(contentsOf: "Connection: keep-alive\r\n".utf8)
        }
        out.append(contentsOf: "\r\n".utf8)
        if bodyAllowed && !isHeadRequest {
            out.append(contentsOf: body)
        }
        return (out, close)
    }

    /// An encoded keep-alive response turned into a closing one: the `Connection` line (always the last field
    /// `encode` writes) says `close`. Used when shutdown starts between encoding and writing.
    static func markingClose(_ bytes: [UInt8]) -> [UInt8] {
        let end: [UInt8] = Array("\r\n\r\n".utf8)
        guard bytes.count >= 4,
            let headEnd = (0...(bytes.count - 4)).first(where: { bytes[$0..<($0 + 4)].elementsEqual(end) })
        else { return bytes }
        let keepAlive = Array("\r\nConnection: keep-alive".utf8)
        var start = headEnd + 2
        if headEnd >= keepAlive.count, bytes[(headEnd - keepAlive.count)..<headEnd].elementsEqual(keepAlive) {
            start = headEnd - keepAlive.count + 2
        }
        var out = Array(bytes[..<start])
        out.append(contentsOf: "Connection: close\r\n".utf8)
        out.append(contentsOf: bytes[(headEnd + 2)...])
        return out
    }

    /// `HTTP/1.1 100 Continue`, sent before reading a body the client is waiting to send.
    static let continueResponse: [UInt8] = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)

    static func appendDecimal(_ value: Int, to out: inout [UInt8]) {
        if value < 10 {
            out.append(UInt8(48 + value))
            return
        }
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        var v = value
        withUnsafeMutableBytes(of: &digits) { buffer in
            while v > 0 {
                buffer[count] = UInt8(48 + v % 10)
                v /= 10
                count += 1
            }
            for i in stride(from: count - 1, through: 0, by: -1) { out.append(buffer[i]) }
        }
    }

    private static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.allSatisfy(HTTPByte.isTokenChar)
    }

    private static func isValidValue(_ value: String) -> Bool {
        value.utf8.allSatisfy(HTTPByte.isFieldValueByte)
    }
}
