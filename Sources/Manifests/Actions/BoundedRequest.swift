import Foundation
import FoundationNetworking
import Scheduling
import Synchronization

/// One URLSession request with a hard time limit: the caller gets its answer, a timeout or a cancellation as soon
/// as it happens, without waiting for the transfer to wind down (URLSession's own timeout is an idle timeout in
/// whole seconds on Linux).
enum BoundedRequest {
    struct TimeoutError: Error {}

    static func send(_ request: URLRequest, using session: URLSession, timeout: Double) async throws -> (Data, URLResponse) {
        let pending = Pending()
        let deadline = DeadlineScheduler.shared.schedule(after: .seconds(timeout)) {
            pending.finish(.failure(TimeoutError()))
        }
        defer { DeadlineScheduler.shared.cancel(deadline) }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<(Data, URLResponse), any Error>) in
                let task = session.dataTask(with: request) { data, response, error in
                    if let data, let response {
                        pending.finish(.success((data, response)))
                    } else {
                        pending.finish(.failure(error ?? URLError(.badServerResponse)))
                    }
                }
                pending.start(continuation, task: task)
            }
        } onCancel: {
            pending.finish(.failure(CancellationError()))
        }
    }

    /// The first of answer, timeout and cancellation resumes the caller; the transfer is then cancelled.
    private final class Pending: Sendable {
        private struct State {
            var continuation: CheckedContinuation<(Data, URLResponse), any Error>?
            var task: URLSessionDataTask?
            var outcome: Result<(Data, URLResponse), any Error>?
        }

        private let state = Mutex(State())

        func start(_ continuation: CheckedContinuation<(Data, URLResponse), any Error>, task: URLSessionDataTask) {
            let early = state.withLock { state -> Result<(Data, URLResponse), any Error>? in
                if let outcome = state.outcome { return outcome }
                state.continuation = continuation
                state.task = task
                return nil
            }
            if let early {
                continuation.resume(with: early)
            } else {
                task.resume()
            }
        }

        func finish(_ outcome: Result<(Data, URLResponse), any Error>) {
            let (continuation, task) = state.withLock { state -> (CheckedContinuation<(Data, URLResponse), any Error>?, URLSessionDataTask?) in
                guard state.outcome == nil else { return (nil, nil) }
                state.outcome = outcome
                defer {
                    state.continuation = nil
                    state.task = nil
                }
                return (state.continuation, state.task)
            }
            continuation?.resume(with: outcome)
            if case .failure = outcome { task?.cancel() }
        }
    }
}
