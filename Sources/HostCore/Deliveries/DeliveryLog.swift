import Foundation
import JSON
import Logging
import Synchronization

/// The last `capacity` deliveries of each integration, newest kept, oldest dropped: GitHub's "Recent deliveries".
/// Held in memory as received, so a replay sends what was sent; redacted whenever a record leaves the process
/// (listed, saved). Saved beside the state file as `FILE.deliveries.json` and read back with it.
///
/// Recording is on the request path: one lock around an O(1) ring insert; bodies are kept without copying
/// unless they pass `DeliveryRecord.bodyLimit`.
public final class DeliveryLog: Sendable {
    /// Records kept per integration; 0 keeps none.
    public let capacity: Int
    /// The log's redaction of configured secrets, applied to every record that leaves the process.
    private let logger: HostLogger?
    private let rings = Mutex<[String: Ring]>([:])
    private let changes = Atomic<Int>(0)

    /// The default `capacity` (`--delivery-log`).
    public static let defaultCapacity = 50

    public init(capacity: Int = DeliveryLog.defaultCapacity, logger: HostLogger? = nil) {
        self.capacity = max(0, capacity)
        self.logger = logger
    }

    /// One integration's records, oldest first, at most `capacity`.
    private struct Ring {
        var records: [DeliveryRecord] = []
        var next = 0

        mutating func insert(_ record: DeliveryRecord, capacity: Int) {
            if records.count < capacity {
                records.append(record)
            } else {
                records[next] = record
                next = (next + 1) % capacity
            }
        }

        var newestFirst: [DeliveryRecord] { Array((records[next...] + records[..<next]).reversed()) }
    }

    /// Grows on every change; the autosaver compares it to the value it last saved.
    public var changeCount: Int { changes.load(ordering: .acquiring) }

    /// Keeps `record`, dropping its integration's oldest when it already holds `capacity`.
    public func record(_ record: DeliveryRecord) {
        guard capacity > 0 else { return }
        rings.withLock { $0[record.integration, default: Ring()].insert(record, capacity: capacity) }
        changes.add(1, ordering: .releasing)
    }

    /// `integration`'s records, newest first, redacted.
    public func list(_ integration: String) -> [DeliveryRecord] {
        let records = rings.withLock { $0[integration]?.newestFirst } ?? []
        return records.map(redacted)
    }

    /// The newest record with request id `id`, as received (for a replay).
    public func find(_ id: String) -> DeliveryRecord? {
        let all = rings.withLock { rings in rings.values.flatMap(\.records) }
        return all.filter { $0.id == id }.max { $0.time < $1.time }
    }

    /// How many records each integration holds, by name.
    public func counts() -> [(integration: String, count: Int)] {
        rings.withLock { rings in rings.map { ($0.key, $0.value.records.count) } }.sorted { $0.integration < $1.integration }
    }

    /// `record` with secrets taken out (`DeliveryRecord.redacted`).
    public func redacted(_ record: DeliveryRecord) -> DeliveryRecord {
        record.redacted { bytes in logger?.redacted(bytes) ?? bytes }
    }

    /// Every record, redacted, as the deliveries file holds them: integration name → records, oldest first.
    public func encoded() -> [UInt8] {
        let all = rings.withLock { rings in rings.mapValues { Array($0.newestFirst.reversed()) } }
        let object = all.mapValues { records in JSONValue.array(records.map { redacted($0).json }) }
        return JSONValue.object(object).serializedBytes()
    }

    /// Replaces every record with those of a deliveries file; each integration keeps its newest `capacity`.
    public func replaceAll(withEncoded bytes: [UInt8]) throws(StorageFile.LoadError) {
        guard let parsed = try? JSONValue(parsing: bytes), case .object(let object) = parsed else {
            throw StorageFile.LoadError(description: "the deliveries file is not a JSON object")
        }
        var loaded: [String: Ring] = [:]
        for (integration, value) in object {
            guard case .array(let items) = value else {
                throw StorageFile.LoadError(description: "deliveries of \(integration) are not an array")
            }
            var ring = Ring()
            for item in items {
                guard let record = DeliveryRecord(json: item) else {
                    throw StorageFile.LoadError(description: "a delivery of \(integration) is not a delivery record")
                }
                if capacity > 0 { ring.insert(record, capacity: capacity) }
            }
            if !ring.records.isEmpty { loaded[integration] = ring }
        }
        rings.withLock { $0 = loaded }
        changes.add(1, ordering: .releasing)
    }

    /// The deliveries file that goes with storage file `name`.
    public static func fileName(besides name: String) -> String { name + ".deliveries.json" }
}
