import Foundation

/// One outbound HTTP request, as values.
public struct OutboundRequest: Sendable {
    public var method: String
    public var url: URL
    /// In order; a `User-Agent` here replaces the host's own.
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
    /// Names (any case) of headers that carry credentials besides `Authorization`, `Cookie` and
    /// `Proxy-Authorization`: none of them follows a redirect to another origin.
    public var secretHeaderNames: Set<String>

    public init(
        method: String = "GET", url: URL, headers: [(name: String, value: String)] = [], body: [UInt8] = [],
        secretHeaderNames: Set<String> = []
    ) {
        self.method = method.uppercased()
        self.url = url
        self.headers = headers
        self.body = body
        self.secretHeaderNames = Set(secretHeaderNames.map { $0.lowercased() })
    }

    /// The value of the first header called `name` (any case).
    public func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }
}
