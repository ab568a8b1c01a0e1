import HTTPServer
import IntegrationContract

extension InvocationRequest {
    /// The plain values of a server request, for the integration it is dispatched to.
    public init(_ request: HTTPRequest) {
        self.init(
            method: request.method, path: request.path, rawQuery: request.head.rawQuery, headers: request.headers,
            body: request.body, peer: request.peer)
    }
}
