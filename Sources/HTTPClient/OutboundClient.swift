import Foundation
import Scheduling

/// The host's one way to make an HTTP request to somewhere else (the manifest `http` action, late replies, chat
/// APIs). Every exchange has a limit on the response's size, enforced as bytes arrive (the connection is closed at
/// the limit), one deadline for the whole exchange on the host's clock (`DeadlineScheduler`), redirects followed
/// only as `Redirect` says (credentials never go to another origin), and `User-Agent: integration-host/VERSION`
/// unless the request sets its own. Cancelling the calling task ends the exchange at once.
///
/// Transfers go through libcurl's easy interface (`CCurl`), each on a thread of its own: URLSession on Linux keeps
/// whole bodies in memory, gives a delegate no way to slow or refuse data, and can crash when a task is cancelled
/// (Sources/HTTPClient/README.md).
public struct OutboundClient: Sendable {
    /// The time an exchange gets unless `send` is given another.
    public var timeout: Duration
    /// The largest response body accepted; a larger one fails with `OutboundError.tooLarge`.
    public var maxResponseBytes: Int
    /// How many redirects one exchange follows.
    public var maxRedirects: Int
    public var userAgent: String

    public init(
        timeout: Duration = .seconds(10), maxResponseBytes: Int = 1 << 20, maxRedirects: Int = 5,
        userAgent: String = "integration-host/\(HostVersion.current)"
    ) {
        self.timeout = timeout
        self.maxResponseBytes = maxResponseBytes
        self.maxRedirects = maxRedirects
        self.userAgent = userAgent
    }

    /// Sends `request` (following redirects) and returns the final response, whatever its status.
    public func send(_ request: OutboundRequest, timeout: Duration? = nil) async throws(OutboundError) -> OutboundResponse {
        try OutboundClient.validate(request)
        var current = request
        if current.header("User-Agent") == nil { current.headers.append(("User-Agent", userAgent)) }
        let limit = timeout ?? self.timeout
        let exchange = Exchange()
        let deadline = DeadlineScheduler.shared.schedule(after: limit) { exchange.stop(.timedOut(after: limit)) }
        defer { DeadlineScheduler.shared.cancel(deadline) }
        do {
            return try await withTaskCancellationHandler { [current, maxResponseBytes, maxRedirects] in
                var next = current
                var redirects = 0
                while true {
                    let hop = next
                    let response = try await exchange.perform { exchange in
                        CurlTransfer(hop, maxBodyBytes: maxResponseBytes, exchange: exchange).run()
                    }
                    guard let following = try Redirect.next(after: response, to: hop) else { return response }
                    redirects += 1
                    guard redirects <= maxRedirects else { throw OutboundError.tooManyRedirects(limit: maxRedirects) }
                    next = following
                }
            } onCancel: {
                exchange.stop(.cancelled)
            }
        } catch let error as OutboundError {
            throw error
        } catch {
            throw .network("\(error)")
        }
    }

    /// Refuses what libcurl would send wrongly or not at all: no http(s) URL, a method or header that could split
    /// the request.
    static func validate(_ request: OutboundRequest) throws(OutboundError) {
        guard let scheme = request.url.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = request.url.host, !host.isEmpty
        else { throw .network("not an http(s) URL") }
        guard !request.method.isEmpty, request.method.allSatisfy({ $0.isLetter && $0.isASCII }) else {
            throw .network("not an HTTP method: \(request.method)")
        }
        for header in request.headers {
            let text = header.name + header.value
            guard !header.name.isEmpty, !header.name.contains(":"),
                !text.unicodeScalars.contains(where: { $0 == "\r" || $0 == "\n" || $0 == "\0" })
            else { throw .network("header \(header.name.debugDescription) is not a single line") }
        }
    }
}
