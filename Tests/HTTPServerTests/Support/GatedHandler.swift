import HTTPServer
import Synchronization

/// Holds every request until the test opens the gate, so a test can order "request in flight" and "server
/// shutting down" without relying on timing.
final class GatedHandler: HTTPHandler {
    private let state = Mutex<(open: Bool, waiters: [CheckedContinuation<Void, Never>], arrived: Int)>((false, [], 0))

    func handle(_ request: HTTPRequest) async throws -> HTTPResponse {
        await withCheckedContinuation { continuation in
            let passNow = state.withLock { state in
                state.arrived += 1
                if state.open { return true }
                state.waiters.append(continuation)
                return false
            }
            if passNow { continuation.resume() }
        }
        return HTTPResponse(contentType: "text/plain", body: request.path)
    }

    /// How many requests have reached the handler.
    var arrived: Int { state.withLock { $0.arrived } }

    func open() {
        let waiters = state.withLock { state in
            state.open = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }
}
