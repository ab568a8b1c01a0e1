import Synchronization

/// Where a run's `ManifestTrace` is collected when someone asked for it: the `test` command, or an admin's
/// `X-Integration-Trace: 1`. An invocation without one records nothing and builds no trace text.
public final class TraceRecorder: Sendable {
    private let trace = Mutex(ManifestTrace())

    public init() {}

    /// Adds one entry.
    public func record(_ path: String, _ detail: String) {
        trace.withLock { $0.entries.append(ManifestTrace.Entry(path: path, detail: detail)) }
    }

    /// Everything recorded so far.
    public var recorded: ManifestTrace { trace.withLock { $0 } }
}
