import HTTPServer
import TestSupport

/// Holds every request until the test opens the gate, so a test can order "request in flight" and "server
/// shutting down" without relying on timing.
final class GatedHandler: HTTPHandler {
    private let gate = Gate()

    func handle(_ request: HTTPRequest) async throws -> HTTPResponse {
        await gate.pass()
        return HTTPResponse(contentType: "text/plain", body: request.path)
    }

    /// How many requests have reached the handler.
    var arrived: Int { gate.arrived }

    func open() { gate.open() }
}
