import Synchronization

/// The link from a dispatched request to its handler task, so the event loop can cancel the handler when the
/// client goes away. The loop may cancel before a handler thread has started the task: then it never starts.
final class HandlerCancellation: Sendable {
    private enum State {
        case waiting
        case running(Task<Void, Never>)
        case cancelled
    }

    private let state = Mutex(State.waiting)

    /// Records the started task; cancels it at once when the request was cancelled meanwhile.
    func attach(_ task: Task<Void, Never>) {
        let cancelled = state.withLock { state in
            guard case .waiting = state else { return true }
            state = .running(task)
            return false
        }
        if cancelled { task.cancel() }
    }

    /// Whether the request was cancelled before its task started.
    var isCancelled: Bool {
        state.withLock { state in
            if case .cancelled = state { return true }
            return false
        }
    }

    func cancel() {
        let task: Task<Void, Never>? = state.withLock { state in
            defer { state = .cancelled }
            if case .running(let task) = state { return task }
            return nil
        }
        task?.cancel()
    }
}
