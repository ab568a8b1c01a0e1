/// A request head plus what the server needs to know about it before reading the body.
struct ParsedRequestHead: Sendable {
    var head: HTTPRequestHead
    var framing: HTTPBodyFraming
    /// Whether the connection stays open after this request (version default and `Connection` tokens).
    var keepAlive: Bool
    /// `Expect: 100-continue` on an HTTP/1.1 request.
    var expectsContinue: Bool
    /// An `Expect` value other than `100-continue` (answered with 417).
    var hasUnsupportedExpectation: Bool
}
