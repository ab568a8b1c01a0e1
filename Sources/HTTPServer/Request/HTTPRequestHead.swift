/// The request line and headers, known before the body is read.
public struct HTTPRequestHead: Sendable {
    public var method: HTTPMethod
    /// The request target exactly as sent (`/hooks/x?a=%20b`).
    public var target: String
    /// The percent-decoded path (`/hooks/x`).
    public var path: String
    /// The raw query string after `?`, not decoded; empty when there is none.
    public var rawQuery: String
    public var version: HTTPVersion
    public var headers: HTTPHeaders

    public init(
        method: HTTPMethod, target: String, path: String, rawQuery: String, version: HTTPVersion,
        headers: HTTPHeaders
    ) {
        self.method = method
        self.target = target
        self.path = path
        self.rawQuery = rawQuery
        self.version = version
        self.headers = headers
    }
}
