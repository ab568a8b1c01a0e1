import Synchronization

/// A value made on first use and kept: `make` runs once, on whichever thread asks first, and everything holding
/// this (copies of a notification, say) shares what it made.
public final class Deferred<Value: Sendable>: Sendable {
    private let make: @Sendable () -> Value
    private let made = Mutex<Value?>(nil)

    public init(_ make: @escaping @Sendable () -> Value) { self.make = make }

    public var value: Value {
        made.withLock { made in
            if let made { return made }
            let value = make()
            made = value
            return value
        }
    }
}
