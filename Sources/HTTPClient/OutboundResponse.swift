import Foundation

/// What came back: the last response of the exchange (after any redirects followed).
public struct OutboundResponse: Sendable {
    public let status: Int
    /// In the order received.
    public let headers: [(name: String, value: String)]
    /// At most the client's `maxResponseBytes`.
    public let body: [UInt8]
    /// Where this response came from (differs from the request's URL after a redirect).
    public let url: URL

    /// The value of the first header called `name` (any case).
    public func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }
}
