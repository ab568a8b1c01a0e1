@testable import HTTPServer
import Testing

@Suite struct ResponseEncoderTests {
    @Test func markingCloseAddsOrReplacesTheConnectionLine() {
        let keepAlive11 = HTTPResponseEncoder.encode(
            HTTPResponse(contentType: "text/plain", body: "hi"), isHeadRequest: false, requestVersion: .http1_1,
            keepAlive: true)
        let closed = String(decoding: HTTPResponseEncoder.markingClose(keepAlive11.bytes), as: UTF8.self)
        #expect(closed.hasSuffix("Connection: close\r\n\r\nhi"))
        #expect(closed.components(separatedBy: "Connection:").count == 2)

        let keepAlive10 = HTTPResponseEncoder.encode(
            HTTPResponse(contentType: "text/plain", body: "hi"), isHeadRequest: false, requestVersion: .http1_0,
            keepAlive: true)
        #expect(String(decoding: keepAlive10.bytes, as: UTF8.self).contains("Connection: keep-alive\r\n\r\n"))
        let closed10 = String(decoding: HTTPResponseEncoder.markingClose(keepAlive10.bytes), as: UTF8.self)
        #expect(closed10.hasSuffix("Connection: close\r\n\r\nhi"))
        #expect(!closed10.contains("keep-alive"))
    }

    @Test func encodesOneBufferWithLengthAndDate() {
        let encoded = HTTPResponseEncoder.encode(
            .json(.ok, bytes: Array(#"{"a":1}"#.utf8)), isHeadRequest: false, requestVersion: .http1_1, keepAlive: true)
        let text = String(decoding: encoded.bytes, as: UTF8.self)
        #expect(text.hasPrefix("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 7\r\nDate: "))
        #expect(text.hasSuffix(" GMT\r\n\r\n{\"a\":1}"))
        #expect(!encoded.close)
    }

    @Test func dateIsIMFFixdate() {
        #expect(String(decoding: HTTPDate.format(784_111_777), as: UTF8.self) == "Sun, 06 Nov 1994 08:49:37 GMT")
    }
}
