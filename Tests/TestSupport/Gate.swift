import Synchronization

/// Holds whoever passes it until the test opens it, and counts who reached it, so a test can order "still running"
/// before "finished", or see what runs at once, without relying on timing.
public final class Gate: Sendable {
    private let state = Mutex<(open: Bool, waiters: [CheckedContinuation<Void, Never>], arrived: Int)>((false, [], 0))

    public init() {}

    /// Returns once the gate is open.
    public func pass() async {
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

    /// How many have reached the gate.
    public var arrived: Int { state.withLock { $0.arrived } }

    /// Lets everyone waiting, and everyone later, through.
    public func open() {
        let waiters = state.withLock { state in
            state.open = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }
}
