import Foundation

/// One HTTP POST to send later: a reply to a `response_url`, or a message through a chat API.
public struct OutboundMessage: Sendable {
    public var url: URL
    /// Extra headers (`Authorization: Bearer …` for chat APIs). Never logged.
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
    public var contentType: String
    /// Messages with the same key share one budget of posts (Slack's 5 per `response_url` in 30 minutes);
    /// `nil` means unlimited.
    public var budgetKey: String?
    /// Where to send it if the budget is spent or the first destination refuses for good (a chat API after a
    /// `response_url`).
    public var fallback: Fallback?
    /// How the destination says it took the message.
    public var acceptance: DeliveryAcceptance

    /// A second destination, boxed so the message stays a value type.
    public final class Fallback: Sendable {
        public let message: OutboundMessage
        public init(_ message: OutboundMessage) { self.message = message }
    }

    public init(
        url: URL, headers: [(name: String, value: String)] = [], body: [UInt8], contentType: String = "application/json",
        budgetKey: String? = nil, fallback: OutboundMessage? = nil, acceptance: DeliveryAcceptance = .status
    ) {
        self.url = url
        self.headers = headers
        self.body = body
        self.contentType = contentType
        self.budgetKey = budgetKey
        self.fallback = fallback.map(Fallback.init)
        self.acceptance = acceptance
    }

    /// `text` as an absolute `http` or `https` URL with a host, else `nil`: a response URL from a request is
    /// never followed to any other scheme.
    public static func webURL(_ text: String) -> URL? {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = url.host, !host.isEmpty
        else { return nil }
        return url
    }

    /// The destination for logs: scheme, host and port only, since paths of response URLs are capabilities.
    public var logDestination: String {
        var text = "\(url.scheme ?? "http")://\(url.host ?? "?")"
        if let port = url.port { text += ":\(port)" }
        return text
    }
}
