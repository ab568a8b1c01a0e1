/// Why an outbound exchange has no answer.
public enum OutboundError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The response (head or body) went past the limit; the connection was closed there.
    case tooLarge(limit: Int)
    /// The whole exchange, redirects included, did not finish within its time limit.
    case timedOut(after: Duration)
    /// More redirects than the client follows.
    case tooManyRedirects(limit: Int)
    /// A redirect the client will not follow (another scheme, https to http, no usable `Location`).
    case redirectRefused(String)
    /// The calling task was cancelled.
    case cancelled
    /// Connecting, sending or receiving failed.
    case network(String)

    public var description: String {
        switch self {
        case .tooLarge(let limit): "the response is larger than \(limit) bytes"
        case .timedOut(let after): "no complete answer within \(after.secondsText) s"
        case .tooManyRedirects(let limit): "more than \(limit) redirects"
        case .redirectRefused(let reason): "redirect refused: \(reason)"
        case .cancelled: "cancelled"
        case .network(let reason): reason
        }
    }
}

extension Duration {
    /// Seconds with up to three decimals, without trailing zeros ("10", "0.3").
    var secondsText: String {
        let milliseconds = components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000
        return milliseconds % 1000 == 0 ? "\(milliseconds / 1000)" : "\(Double(milliseconds) / 1000)"
    }
}
