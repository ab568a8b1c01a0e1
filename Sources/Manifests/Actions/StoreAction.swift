import Foundation
import IntegrationContract
import JSON

/// `{"store": {"op": "increment", "key": "{{who}}", "by": 1}, "into": "count"}`: one operation on the
/// integration's storage namespace. Increment, append, remove and set are atomic, so parallel runs lose no update.
///
/// Results: `get` the value (null when absent), `set` the value, `increment` the new number, `append` the new
/// length, `remove` the element taken out of the list, `delete` whether the key was there.
struct StoreAction: ActionStep {
    enum Operation: String, CaseIterable, Sendable {
        case get, set, increment, append, remove, delete
    }

    let operation: Operation
    let key: Template
    /// `value` (set, append, remove by value) or `by` (increment).
    let value: JSONTemplate?
    /// `index` (remove at a position, 1 for the first element).
    let index: JSONTemplate?

    static let maxKeyLength = 256

    /// Which operations take each optional member.
    private static let memberUsers: KeyValuePairs<String, Set<Operation>> = [
        "value": [.set, .append, .remove], "by": [.increment], "index": [.remove],
    ]

    static func decode(_ body: JSONValue, at path: String, context: ManifestDecodingContext) -> StoreAction? {
        let reader = context.reader
        guard let members = reader.object(body, at: path, allowed: ["op", "key", "value", "by", "index"]) else { return nil }
        let before = reader.problems.count
        let opName = reader.string(members, "op", at: path, required: true)
        let operation = opName.flatMap(Operation.init(rawValue:))
        if opName != nil && operation == nil {
            reader.fail(ManifestReader.join(path, "op"), "must be one of: \(Operation.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let key = context.template(members, "key", at: path, required: true)
        var value: JSONTemplate?
        var index: JSONTemplate?
        if let operation {
            for (member, users) in memberUsers where members[member] != nil && !users.contains(operation) {
                reader.fail(ManifestReader.join(path, member), "is not used by op \(operation.rawValue)")
            }
            let valueKey = operation == .increment ? "by" : "value"
            if let raw = members[valueKey], operation != .get, operation != .delete {
                value = JSONTemplate(raw, at: ManifestReader.join(path, valueKey), context: context)
            } else if members[valueKey] == nil, operation == .set || operation == .append {
                reader.fail(ManifestReader.join(path, "value"), "is required for op \(operation.rawValue)")
            }
            if operation == .remove {
                if let raw = members["index"] {
                    index = JSONTemplate(raw, at: ManifestReader.join(path, "index"), context: context)
                }
                switch (members["index"], members["value"]) {
                case (nil, nil): reader.fail(path, "op remove needs index (1 for the first element) or value")
                case (_?, _?): reader.fail(path, "has both index and value; use one")
                default: break
                }
            }
        }
        guard reader.problems.count == before, let operation, let key else { return nil }
        return StoreAction(operation: operation, key: key, value: value, index: index)
    }

    func perform(in scope: ManifestScope, reply: inout Reply?) async throws -> JSONValue? {
        let key = key.render(in: scope)
        guard !key.isEmpty, key.utf8.count <= StoreAction.maxKeyLength else {
            throw ActionFailure(.badRequest("store: the key must be 1 to \(StoreAction.maxKeyLength) bytes"))
        }
        let storage = scope.invocation.storage
        do {
            switch operation {
            case .get:
                return storage.get(key) ?? .null
            case .set:
                let value = value?.render(in: scope) ?? .null
                try storage.set(key, value)
                return value
            case .increment:
                let by = value?.render(in: scope) ?? .number(1)
                guard let delta = by.doubleValue ?? by.stringValue.flatMap(Double.init), delta.isFinite else {
                    throw ActionFailure(.badRequest("store: 'by' is not a number"))
                }
                return .number(try storage.increment(key, by: delta))
            case .append:
                return .number(Double(try storage.append(key, value?.render(in: scope) ?? .null)))
            case .remove:
                return try remove(from: key, storage: storage, in: scope)
            case .delete:
                return .bool(storage.delete(key))
            }
        } catch let refused as StorageError where refused.reason == .quota {
            throw ActionFailure(IntegrationError(status: .insufficientStorage, "store: \(refused.description)"))
        } catch let mismatch as StorageError {
            throw ActionFailure(.conflict("store: \(mismatch.description)"))
        }
    }

    /// Removes the element at `index` (1-based) or the first equal to `value`; 404 when there is none, and then
    /// nothing changed.
    private func remove(from key: String, storage: any IntegrationStorage, in scope: ManifestScope) throws -> JSONValue {
        if let index {
            let rendered = index.render(in: scope)
            guard let position = StoreAction.position(rendered) else {
                throw ActionFailure(.badRequest("store: index \(StoreAction.excerpt(rendered)) is not a whole number"))
            }
            let removal = try storage.removeElement(key, at: max(position, 0) - 1)
            guard let removed = removal.removed else {
                throw ActionFailure(.notFound("store: the list at '\(key)' has no item \(position) (it has \(removal.count))"))
            }
            return removed
        }
        let element = value?.render(in: scope) ?? .null
        guard let removed = try storage.removeElement(key, equalTo: element).removed else {
            throw ActionFailure(.notFound("store: the list at '\(key)' has no item equal to \(StoreAction.excerpt(element))"))
        }
        return removed
    }

    /// A 1-based position from a number or a string of digits; a string of digits too long for an `Int` is
    /// `Int.max` (no list is that long). Nil when the value is not a whole number.
    private static func position(_ value: JSONValue) -> Int? {
        if let number = value.doubleValue {
            guard number.rounded() == number, number.isFinite else { return nil }
            return number.magnitude < 1e15 ? Int(number) : (number < 0 ? Int.min : Int.max)
        }
        guard let text = value.stringValue?.trimmingCharacters(in: .whitespaces) else { return nil }
        let digits = text.hasPrefix("-") ? text.dropFirst() : Substring(text)
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int(text) ?? (text.hasPrefix("-") ? Int.min : Int.max)
    }

    /// A value as JSON for a message, at most 64 characters.
    private static func excerpt(_ value: JSONValue) -> String {
        let text = value.serialized()
        return text.count <= 64 ? text : text.prefix(63) + "…"
    }
}
