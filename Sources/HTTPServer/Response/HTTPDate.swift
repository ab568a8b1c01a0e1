import Synchronization

/// The IMF-fixdate for the `Date` header (`Sun, 06 Nov 1994 08:49:37 GMT`), formatted at most once a second.
enum HTTPDate {
    private static let cache = Mutex<(second: Int, bytes: [UInt8])>((-1, []))

    /// The current date, as bytes.
    static func now() -> [UInt8] {
        let second = Posix.epochSeconds()
        return cache.withLock { cached in
            if cached.second != second {
                cached = (second, format(second))
            }
            return cached.bytes
        }
    }

    static func format(_ seconds: Int) -> [UInt8] {
        let f = Posix.utcFields(seconds)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        let text = "\(days[f.weekday]), \(two(f.day)) \(months[f.month - 1]) \(f.year) "
            + "\(two(f.hour)):\(two(f.minute)):\(two(f.second)) GMT"
        return Array(text.utf8)
    }
}
