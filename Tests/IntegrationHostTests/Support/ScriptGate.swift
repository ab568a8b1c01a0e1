import Foundation
import Synchronization

/// Holds scripted runs until the test opens it, and counts the runs that reached it, so a test can see what runs at
/// once and order "still running" before "finished" without relying on timing. A script names it with
/// `"gate": gate.name`.
final class ScriptGate: Sendable {
    private static let registry = Mutex<[String: ScriptGate]>([:])

    let name = UUID().uuidString
    private let state = Mutex<(open: Bool, waiters: [CheckedContinuation<Void, Never>], arrived: Int)>((false, [], 0))

    init() {
        Self.registry.withLock { $0[name] = self }
    }

    /// The gate registered as `name`.
    static func named(_ name: String) -> ScriptGate? { registry.withLock { $0[name] } }

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
