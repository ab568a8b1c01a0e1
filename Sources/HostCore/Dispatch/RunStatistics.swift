import Foundation
import IntegrationContract
import Synchronization

/// The one place that counts runs, per integration: how many, how many failed or were refused, the last failure,
/// recent run times (for p50/p99) and whether recent runs mostly fail. The dispatcher records every run; the
/// listings read it.
///
/// Recording is on the request path: one dictionary lookup under a short lock, then the integration's own lock
/// and O(1) work into buffers allocated when the integration first ran. Nothing is allocated per run.
public final class RunStatistics: Sendable {
    private let table = Mutex<[String: Counters]>([:])

    public init() {}

    /// How a run ended, as counted.
    public enum Result: Sendable {
        case replied
        /// Ended with an error. A 4xx is a refusal of the request (a rule that did not hold, bad input), counted
        /// apart from failures (5xx: the integration, a program or API it called, or the host failed), so senders of
        /// bad requests cannot make an integration look failing.
        case failed(IntegrationError)
        /// Still going at its deadline (it may still answer later).
        case timedOut
    }

    /// Records one run of `integration` that took `duration` (up to its deadline, for `.timedOut`).
    public func record(_ integration: String, duration: Duration, result: Result) {
        counters(for: integration).record(duration: duration, result: result)
    }

    /// The integrations that have run, sorted.
    public var integrations: [String] { table.withLock { $0.keys.sorted() } }

    /// The counts of `integration`; all zero when it has not run.
    public func snapshot(of integration: String) -> Snapshot {
        table.withLock { $0[integration] }?.snapshot() ?? Snapshot()
    }

    /// The recent window the state is judged on: the last this many finished runs.
    public static let recentWindow = 32
    /// At least this many runs in the window before it can say failing, so one early failure is not a verdict.
    public static let failingMinimumRuns = 4
    /// How many recent run times the percentiles are computed over.
    public static let durationSamples = 1024
    /// The upper bounds of the run-time histogram's buckets (`/metrics`), in seconds; a last bucket takes the rest.
    public static let histogramBounds: [Double] = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300]

    /// One integration's counts at one moment.
    public struct Snapshot: Sendable, Equatable {
        public var runs = 0
        /// Runs that ended with a 5xx error.
        public var failures = 0
        /// Runs that ended with a 4xx error.
        public var rejections = 0
        /// Runs still going at their deadline.
        public var timeouts = 0
        /// The last failure (5xx), with when it happened.
        public var lastError: LastError?
        /// Over the last `durationSamples` runs that finished in time; `nil` before the first.
        public var p50: Duration?
        public var p99: Duration?
        /// Finished runs and failures among them in the recent window.
        public var recentRuns = 0
        public var recentFailures = 0
        /// Every finished run's time since the start, as `histogramBounds` buckets: cumulative counts (one more
        /// than the bounds: the last is every finished run) and the sum in seconds.
        public var histogram: [Int] = Array(repeating: 0, count: RunStatistics.histogramBounds.count + 1)
        public var durationSum: Double = 0

        /// More than half of the last `recentWindow` finished runs failed, with at least `failingMinimumRuns` of them.
        public var isFailing: Bool {
            recentRuns >= RunStatistics.failingMinimumRuns && recentFailures * 2 > recentRuns
        }
    }

    /// A failure's message and wall-clock time.
    public struct LastError: Sendable, Equatable {
        public let message: String
        public let at: Date
    }

    private func counters(for integration: String) -> Counters {
        table.withLock { table in
            if let known = table[integration] { return known }
            let made = Counters()
            table[integration] = made
            return made
        }
    }

    /// One integration's counters, behind its own lock.
    private final class Counters: Sendable {
        private struct State {
            var runs = 0
            var failures = 0
            var rejections = 0
            var timeouts = 0
            var lastError: LastError?
            /// Run times in microseconds, a ring of `durationSamples`; `filled` of them valid, the next at `next`.
            var durations = [UInt32](repeating: 0, count: RunStatistics.durationSamples)
            var next = 0
            var filled = 0
            /// The recent window as bits, newest lowest: 1 for a failure.
            var recent: UInt64 = 0
            var recentCount = 0
            /// Finished runs per histogram bucket (not cumulative), and their summed microseconds.
            var buckets = [Int](repeating: 0, count: RunStatistics.histogramBounds.count + 1)
            var microsecondsSum: UInt64 = 0
        }

        /// The histogram bounds in microseconds.
        private static let boundsMicroseconds = RunStatistics.histogramBounds.map { UInt32($0 * 1_000_000) }

        private let state = Mutex(State())

        func record(duration: Duration, result: Result) {
            let microseconds = UInt32(clamping: duration.components.seconds * 1_000_000
                + duration.components.attoseconds / 1_000_000_000_000)
            state.withLock { state in
                state.runs += 1
                var failed = false
                switch result {
                case .replied:
                    break
                case .failed(let error) where error.status.code < 500:
                    state.rejections += 1
                case .failed(let error):
                    state.failures += 1
                    state.lastError = LastError(message: error.message, at: Date())
                    failed = true
                case .timedOut:
                    state.timeouts += 1
                    return
                }
                state.buckets[Counters.boundsMicroseconds.firstIndex { microseconds <= $0 } ?? state.buckets.count - 1] += 1
                state.microsecondsSum &+= UInt64(microseconds)
                state.durations[state.next] = microseconds
                state.next = (state.next + 1) % RunStatistics.durationSamples
                state.filled = min(state.filled + 1, RunStatistics.durationSamples)
                state.recent = state.recent << 1 | (failed ? 1 : 0)
                state.recentCount = min(state.recentCount + 1, RunStatistics.recentWindow)
            }
        }

        func snapshot() -> Snapshot {
            let window: UInt64 = RunStatistics.recentWindow >= 64 ? .max : (1 << UInt64(RunStatistics.recentWindow)) - 1
            // Copies the samples, never the ring itself: a copy sharing its buffer would make the next record copy it.
            var (snapshot, samples) = state.withLock { state in
                var snapshot = Snapshot(
                    runs: state.runs, failures: state.failures, rejections: state.rejections, timeouts: state.timeouts,
                    lastError: state.lastError, recentRuns: state.recentCount,
                    recentFailures: (state.recent & window).nonzeroBitCount)
                var total = 0
                snapshot.histogram = state.buckets.map { count in
                    total += count
                    return total
                }
                snapshot.durationSum = Double(state.microsecondsSum) / 1_000_000
                return (snapshot, Array(state.durations[0..<state.filled]))
            }
            samples.sort()
            snapshot.p50 = Counters.percentile(50, of: samples)
            snapshot.p99 = Counters.percentile(99, of: samples)
            return snapshot
        }

        /// The nearest-rank percentile of `sorted` microseconds.
        private static func percentile(_ percent: Int, of sorted: [UInt32]) -> Duration? {
            guard !sorted.isEmpty else { return nil }
            let rank = max(1, (percent * sorted.count + 99) / 100)
            return .microseconds(Int64(sorted[rank - 1]))
        }
    }
}
