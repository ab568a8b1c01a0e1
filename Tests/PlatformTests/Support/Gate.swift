import Synchronization

/// Holds integration runs until the test opens it, and counts the runs that reached it, so a test can order "still
/// running" before "finished" without relying on timing.
final class Gate: Sendable {
    private let state = Mutex<(open: Bool, waiters: [CheckedContinuation<Void, Never>], arrived: Int)>((false, [], 0))

    /// Returns once the gate is open.
    func pass() async {
        await withCheckedContinuation { continuation in
            let passNow = state.withLock { state in
                state.arrived += 1
                if state.open { return true }
                state.waiters.append(continuation)
                return false
            }
            if passNow { continuation.resume() }
        }
    }

    /// How many runs have reached the gate.
    var arrived: Int { state.withLock { $0.arrived } }

    /// Lets every waiting run, and every later one, through.
    func open() {
        let waiters = state.withLock { state in
            state.open = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }
}
