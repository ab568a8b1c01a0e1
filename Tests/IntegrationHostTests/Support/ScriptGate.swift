import Foundation
import Synchronization
import TestSupport

/// A `Gate` a scripted integration can name: a script says `"gate": gate.name` and its runs pass this gate.
final class ScriptGate: Sendable {
    private static let registry = Mutex<[String: ScriptGate]>([:])

    let name = UUID().uuidString
    private let gate = Gate()

    init() {
        Self.registry.withLock { $0[name] = self }
    }

    /// The gate registered as `name`.
    static func named(_ name: String) -> ScriptGate? { registry.withLock { $0[name] } }

    func pass() async { await gate.pass() }

    /// How many runs have reached the gate.
    var arrived: Int { gate.arrived }

    /// Lets every waiting run, and every later one, through.
    func open() { gate.open() }
}
