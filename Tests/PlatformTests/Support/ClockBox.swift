import Foundation
import Synchronization

/// A settable clock for the gateway, so the fixtures' old timestamps can be checked.
final class ClockBox: Sendable {
    private let value: Mutex<Date>
    init(_ date: Date) { value = Mutex(date) }
    func set(_ date: Date) { value.withLock { $0 = date } }
    var now: @Sendable () -> Date { { self.value.withLock { $0 } } }
}
