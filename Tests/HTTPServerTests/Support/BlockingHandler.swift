import Dispatch
import HTTPServer
import Synchronization

/// Blocks its thread (no await) on `/block` until the test calls `release()`, the way a careless handler or a
/// synchronous C call would.
final class BlockingHandler: HTTPHandler {
    private let released = DispatchSemaphore(value: 0)
    private let blockedCount = Atomic<Int>(0)

    func handle(_ request: HTTPRequest) async throws -> HTTPResponse {
        if request.path == "/block" {
            blockedCount.add(1, ordering: .relaxed)
            released.wait()
        }
        return HTTPResponse(status: .ok, contentType: "text/plain", body: request.path)
    }

    /// How many `/block` requests have blocked their thread so far.
    var blocked: Int { blockedCount.load(ordering: .relaxed) }

    /// Lets one blocked request go on.
    func release() { released.signal() }
}
