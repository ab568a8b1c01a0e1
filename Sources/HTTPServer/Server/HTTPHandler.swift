/// What the server calls for every complete request. It runs off the event-loop threads; throwing gives a 500
/// with a JSON body, and the server keeps serving.
public protocol HTTPHandler: Sendable {
    /// Answers one request.
    func handle(_ request: HTTPRequest) async throws -> HTTPResponse

    /// The largest body accepted for this request head, in bytes; `nil` means the server's default. A larger
    /// declared Content-Length is refused with 413 before the body is read.
    func bodyLimit(for head: HTTPRequestHead) -> Int?

    /// Headers for an answer the server gives on its own, without calling `handle` (400, 408, 413, 414, 417, 431,
    /// 501, 505, and the 503 at the connection caps); `head` is the refused request's head when it was read (a
    /// body too large or too slow), `nil` otherwise. Called on an event-loop thread: it must be quick and never
    /// block.
    func serverAnswerHeaders(for head: HTTPRequestHead?) -> HTTPHeaders
}

extension HTTPHandler {
    public func bodyLimit(for head: HTTPRequestHead) -> Int? { nil }
    public func serverAnswerHeaders(for head: HTTPRequestHead?) -> HTTPHeaders { HTTPHeaders() }
}
