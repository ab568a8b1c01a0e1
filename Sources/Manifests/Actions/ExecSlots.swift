import Synchronization

/// How many programs `exec` actions may have running at once, shared by every manifest one host loads
/// (`--max-exec`). Each running program holds three of the host's descriptors (two pipes and a pidfd) and a
/// process; past the cap an `exec` fails at once with 503 instead of running the host out of descriptors, where
/// accepting connections and writing files would fail too.
public final class ExecSlots: Sendable {
    /// The cap when none is configured.
    public static let defaultLimit = 128

    public let limit: Int
    private let taken = Atomic<Int>(0)

    public init(limit: Int = ExecSlots.defaultLimit) {
        self.limit = max(1, limit)
    }

    /// Takes a slot for one program; false when all are taken.
    func acquire() -> Bool {
        var current = taken.load(ordering: .relaxed)
        while current < limit {
            let (exchanged, original) = taken.compareExchange(
                expected: current, desired: current + 1, ordering: .acquiringAndReleasing)
            if exchanged { return true }
            current = original
        }
        return false
    }

    /// Gives back a slot taken with `acquire`, once its program has been reaped (or failed to start).
    func release() {
        taken.subtract(1, ordering: .acquiringAndReleasing)
    }
}
