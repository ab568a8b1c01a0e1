/// A complete request: head, the raw body bytes, and who sent it.
public struct HTTPRequest: Sendable {
    public var head: HTTPRequestHead
    /// The body exactly as received (chunked bodies already de-chunked).
    public var body: [UInt8]
    public var peer: PeerAddress

    public init(head: HTTPRequestHead, body: [UInt8], peer: PeerAddress) {
        self.head = head
        self.body = body
        self.peer = peer
    }

    public var method: HTTPMethod { head.method }
    public var path: String { head.path }
    public var headers: HTTPHeaders { head.headers }
    public var version: HTTPVersion { head.version }
}
