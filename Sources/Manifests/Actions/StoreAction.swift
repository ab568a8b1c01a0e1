import IntegrationContract
import JSON

/// `{"store": {"op": "increment", "key": "{{who}}", "by": 1}, "into": "count"}`: one operation on the
/// integration's storage namespace. Increment, append and set are atomic, so parallel runs lose no update.
///
/// Results: `get` the value (null when absent), `set` the value, `increment` the new number, `append` the new
/// length, `delete` whether the key was there.
struct StoreAction: ActionStep {
    enum Operation: String, CaseIterable, Sendable {
        case get, set, increment, append, delete
    }

    let operation: Operation
    let key: Template
    let value: JSONTemplate?

    static let maxKeyLength = 256

    static func decode(_ body: JSONValue, at path: String, context: ManifestDecodingContext) -> StoreAction? {
        let reader = context.reader
        guard let members = reader.object(body, at: path, allowed: ["op", "key", "value", "by"]) else { return nil }
        let before = reader.problems.count
        let opName = reader.string(members, "op", at: path, required: true)
        let operation = opName.flatMap(Operation.init(rawValue:))
        if opName != nil && operation == nil {
            reader.fail(ManifestReader.join(path, "op"), "must be one of: \(Operation.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let key = context.template(members, "key", at: path, required: true)
        var value: JSONTemplate?
        if let operation {
            let valueKey = operation == .increment ? "by" : "value"
            let wrongKey = operation == .increment ? "value" : "by"
            if members[wrongKey] != nil {
                reader.fail(ManifestReader.join(path, wrongKey), "is not used by op \(operation.rawValue)")
            }
            if let raw = members[valueKey] {
                if operation == .get || operation == .delete {
                    reader.fail(ManifestReader.join(path, valueKey), "is not used by op \(operation.rawValue)")
                } else {
                    value = JSONTemplate(raw, at: ManifestReader.join(path, valueKey), context: context)
                }
            } else if operation == .set || operation == .append {
                reader.fail(ManifestReader.join(path, "value"), "is required for op \(operation.rawValue)")
            }
        }
        guard reader.problems.count == before, let operation, let key else { return nil }
        return StoreAction(operation: operation, key: key, value: value)
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
            case .delete:
                return .bool(storage.delete(key))
            }
        } catch let refused as StorageError where refused.reason == .quota {
            throw ActionFailure(IntegrationError(status: .insufficientStorage, "store: \(refused.description)"))
        } catch let mismatch as StorageError {
            throw ActionFailure(.conflict("store: \(mismatch.description)"))
        }
    }
}
