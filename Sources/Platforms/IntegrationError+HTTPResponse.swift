import HTTPServer
import IntegrationContract

extension HTTPResponse {
    /// `error` as an answer: its status, `{"error": message}`, and `Retry-After` when it says when to try again.
    public static func error(_ error: IntegrationError) -> HTTPResponse {
        var response = HTTPResponse.error(error.status, error.message)
        if let retryAfter = error.retryAfter { response.headers.set("Retry-After", String(retryAfter)) }
        return response
    }
}
