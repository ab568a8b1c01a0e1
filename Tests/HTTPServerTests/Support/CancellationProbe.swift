import HTTPServer
import Synchronization

/// Waits (up to an hour) in every request and counts the handlers that started and those that were cancelled.
final class CancellationProbe: HTTPHandler {
    private let startedCount = Atomic<Int>(0)
    private let cancelledCount = Atomic<Int>(0)

    func handle(_ request: HTTPRequest) async throws -> HTTPResponse {
        startedCount.add(1, ordering: .relaxed)
        do {
            try await Task.sleep(for: .seconds(3600))
        } catch {
            cancelledCount.add(1, ordering: .relaxed)
            throw error
        }
        return HTTPResponse(status: .ok)
    }

    var started: Int { startedCount.load(ordering: .relaxed) }
    var cancelled: Int { cancelledCount.load(ordering: .relaxed) }
}
