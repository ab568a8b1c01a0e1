/// What the server calls for every complete request. It runs off the event-loop threads; throwing gives a 500
/// with a JSON body, and the server keeps serving.
public protocol HTTPHandler: Sendable {
    /// Answers one request.
    func handle(_ request: HTTPRequest) async throws -> HTTPResponse

    /// The largest body accepted for this request head, in bytes; `nil` means the server's default. A larger
    /// declared Content-Length is refused with 413 before the body is read.
    func bodyLimit(for head: HTTPRequestHead) -> Int?
}

extension HTTPHandler {
    public func bodyLimit(for head: HTTPRequestHead) -> Int? { nil }
}
