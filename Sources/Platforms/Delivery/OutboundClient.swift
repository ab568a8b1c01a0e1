import Foundation
import JSON
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Outbound HTTP for replies to chat APIs, through URLSession.
public struct OutboundClient: Sendable {
    private let session: URLSession

    /// - Parameter timeout: how long one request may wait for data, in seconds.
    public init(timeout: TimeInterval = 10) {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        configuration.httpAdditionalHeaders = ["User-Agent": "integration-host/\(HostVersion.current)"]
        self.session = URLSession(configuration: configuration)
    }

    /// What came back.
    public struct Response: Sendable {
        public let status: Int
        public let body: Data
    }

    /// Sends a JSON body and returns the status and body; throws on network errors.
    public func postJSON(_ url: URL, body: JSONValue, headers: [String: String] = [:]) async throws -> Response {
        var request = URLRequest(url: url)
        request.httpMethod = "POST"
        request.httpBody = Data(body.serializedBytes())
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        return try await send(request)
    }

    /// Sends any request. It runs to its answer or its timeout even if the calling task is cancelled:
    /// swift-corelibs-foundation can crash when a URLSession task is cancelled while its connection fails
    /// (`TaskRegistry`: "Trying to access a behaviour for a task that in not in the registry",
    /// swiftlang/swift-corelibs-foundation#3292, #3296), so callers check for cancellation between requests instead.
    public func send(_ request: URLRequest) async throws -> Response {
        try await withCheckedThrowingContinuation { continuation in
            session.dataTask(with: request) { data, response, error in
                if let error {
                    continuation.resume(throwing: error)
                } else {
                    let status = (response as? HTTPURLResponse)?.statusCode ?? 0
                    continuation.resume(returning: Response(status: status, body: data ?? Data()))
                }
            }.resume()
        }
    }
}
