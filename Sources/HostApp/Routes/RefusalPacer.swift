import Glibc
import HTTPTypes
import Synchronization

/// Slows down a client that keeps coming back sooner than `Retry-After` asks — a flood that ignores every 503. Past
/// `burst` refusals to one address in one second, each further 503 to it is held for its `Retry-After` (at most
/// `maxHold`) before it is sent: refusing stays cheap (the held answer is a suspended task, no thread), and a
/// client that sends its next request only after the answer — every HTTP client — slows to one request per
/// connection per hold, so its flood no longer crowds out other clients. A client that honours `Retry-After`
/// never meets a held answer. Addresses are IPv4 addresses and IPv6 /64s (one host's usual share).
public final class RefusalPacer: Sendable {
    /// Refusals an address gets at once each second before the rest are held.
    public let burst: Int
    /// The longest an answer is held, whatever `Retry-After` says.
    public let maxHold: Duration
    /// Addresses counted at once; past it, the ones not seen this second are forgotten, and if all were, new ones
    /// are not counted until the next second.
    static let maxTrackedAddresses = 4096

    private struct Window {
        var second: Int
        var refusals: Int
    }

    private let windows = Mutex<[[UInt8]: Window]>([:])

    public init(burst: Int = 10, maxHold: Duration = .seconds(1)) {
        self.burst = burst
        self.maxHold = maxHold
    }

    /// Counts one refusal to `peer`; how long to hold it, or `nil` to answer at once.
    public func hold(for peer: PeerAddress, retryAfter seconds: Int, now: Int = time(nil)) -> Duration? {
        let address = peer.bytes.count == 16 ? Array(peer.bytes.prefix(8)) : peer.bytes
        let refusals = windows.withLock { windows -> Int in
            if windows[address] == nil, windows.count >= RefusalPacer.maxTrackedAddresses {
                windows = windows.filter { $0.value.second == now }
                guard windows.count < RefusalPacer.maxTrackedAddresses else { return 0 }
            }
            var window = windows[address] ?? Window(second: now, refusals: 0)
            if window.second != now { window = Window(second: now, refusals: 0) }
            window.refusals += 1
            windows[address] = window
            return window.refusals
        }
        guard refusals > burst, seconds > 0 else { return nil }
        return min(.seconds(seconds), maxHold)
    }
}
