import Glibc
import HTTPServer

/// Blocks its thread (no await) on `/block`, the way a careless handler or a synchronous C call would.
struct BlockingHandler: HTTPHandler {
    func handle(_ request: HTTPRequest) async throws -> HTTPResponse {
        if request.path == "/block" { usleep(3_000_000) }
        return HTTPResponse(status: .ok, contentType: "text/plain", body: request.path)
    }
}
