#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// Keeps a flood of alike lines (a refusal per request of an attack) from becoming a flood of writes: each key may
/// write `linesPerSecond` lines a second; the rest are counted, and the next line written for the key says how
/// many were left out. Keys name a kind of line (`503`, `deploy failed 503`), never request data, so there are few;
/// past `maxKeys` the rest share one key.
final class LogThrottle: Sendable {
    let linesPerSecond: Int
    static let maxKeys = 1024

    private struct Window {
        var second: Int
        var written: Int
        var leftOut: Int
    }

    private let windows = Mutex<[String: Window]>([:])
    /// The current second.
    private let clock: @Sendable () -> Int

    init(linesPerSecond: Int, clock: @escaping @Sendable () -> Int = { time(nil) }) {
        self.linesPerSecond = linesPerSecond
        self.clock = clock
    }

    /// Whether a line for `key` may be written now: `nil` when it must be left out, else how many lines of the key
    /// were left out since the last one written.
    func admit(_ key: String) -> Int? {
        admit(key, now: clock())
    }

    func admit(_ key: String, now: Int) -> Int? {
        windows.withLock { windows in
            let key = windows[key] != nil || windows.count < LogThrottle.maxKeys ? key : "(other)"
            var window = windows[key] ?? Window(second: now, written: 0, leftOut: 0)
            if window.second != now {
                window.second = now
                window.written = 0
            }
            guard window.written < linesPerSecond else {
                window.leftOut += 1
                windows[key] = window
                return nil
            }
            let leftOut = window.leftOut
            window.written += 1
            window.leftOut = 0
            windows[key] = window
            return leftOut
        }
    }
}
