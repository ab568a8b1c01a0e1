import Synchronization

/// How many programs `exec` actions may have running at once, shared by every manifest one host loads
/// (`--max-exec`), and how many of them one integration may hold (`IntegrationExecSlots`). Each running program
/// holds three of the host's descriptors (two pipes and a pidfd) and a process; past the cap an `exec` fails at
/// once with 503 instead of running the host out of descriptors, where accepting connections and writing files
/// would fail too.
public final class ExecSlots: Sendable {
    /// The cap when none is configured.
    public static let defaultLimit = 128

    public let limit: Int
    /// What one integration may hold when its manifest sets no `limits.exec`: half of `limit`, at least 1, so one
    /// integration exhausting its own leaves room for the others.
    public var integrationDefault: Int { max(1, limit / 2) }
    private let taken = SlotCounter()
    /// Each integration's count, by name: kept across reloads, so programs still running under the manifest's
    /// previous version still count.
    private let integrations = Mutex<[String: SlotCounter]>([:])

    public init(limit: Int = ExecSlots.defaultLimit) {
        self.limit = max(1, limit)
    }

    /// The slots of the integration `name`, at most `limit` of the host's at once.
    func forIntegration(_ name: String, limit: Int) -> IntegrationExecSlots {
        let counter = integrations.withLock { table in
            if let counter = table[name] { return counter }
            let counter = SlotCounter()
            table[name] = counter
            return counter
        }
        return IntegrationExecSlots(name: name, limit: max(1, limit), own: counter, host: self)
    }

    /// How many programs run now, host-wide.
    public var inUse: Int { taken.count }

    /// Takes a host-wide slot; false when all are taken.
    fileprivate func acquire() -> Bool { taken.acquire(below: limit) }

    fileprivate func release() { taken.release() }
}

/// One integration's share of the host's `ExecSlots` (`limits.exec`).
struct IntegrationExecSlots: Sendable {
    /// Why no slot was given.
    enum Refusal: Error {
        /// The integration already runs `limit` programs.
        case integrationFull
        /// The host already runs `--max-exec` programs.
        case hostFull
    }

    let name: String
    let limit: Int
    fileprivate let own: SlotCounter
    let host: ExecSlots

    /// Takes one of the integration's slots and one of the host's, or neither.
    func acquire() throws(Refusal) {
        guard own.acquire(below: limit) else { throw .integrationFull }
        guard host.acquire() else {
            own.release()
            throw .hostFull
        }
    }

    /// Gives back what `acquire` took, once its program has been reaped (or failed to start).
    func release() {
        host.release()
        own.release()
    }
}

/// A count of taken slots that never passes a limit.
private final class SlotCounter: Sendable {
    private let taken = Atomic<Int>(0)

    var count: Int { taken.load(ordering: .relaxed) }

    func acquire(below limit: Int) -> Bool {
        var current = taken.load(ordering: .relaxed)
        while current < limit {
            let (exchanged, original) = taken.compareExchange(
                expected: current, desired: current + 1, ordering: .acquiringAndReleasing)
            if exchanged { return true }
            current = original
        }
        return false
    }

    func release() {
        taken.subtract(1, ordering: .acquiringAndReleasing)
    }
}
