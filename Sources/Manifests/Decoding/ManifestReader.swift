import JSON

/// Walks a manifest's JSON and collects every problem with its key path, so a load reports all of them at once.
final class ManifestReader {
    private(set) var problems: [ManifestError.Problem] = []

    func fail(_ path: String, _ reason: String) {
        problems.append(ManifestError.Problem(path: path, reason: reason))
    }

    /// `path.key`: `actions[2]` + `exec` → `actions[2].exec`.
    static func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// `path[index]`.
    static func join(_ path: String, _ index: Int) -> String { "\(path)[\(index)]" }

    /// The members of an object, or a problem if `value` is not one. Unknown keys are reported.
    func object(_ value: JSONValue, at path: String, allowed: Set<String>) -> [String: JSONValue]? {
        guard case .object(let members) = value else {
            fail(path, "must be an object")
            return nil
        }
        for key in members.keys.sorted() where !allowed.contains(key) {
            fail(ManifestReader.join(path, key), "unknown key (expected one of: \(allowed.sorted().joined(separator: ", ")))")
        }
        return members
    }

    /// A string member; `required` reports a missing one.
    func string(_ members: [String: JSONValue], _ key: String, at path: String, required: Bool = false) -> String? {
        member(members, key, at: path, required: required, "must be a string") { $0.stringValue }
    }

    /// A boolean member.
    func bool(_ members: [String: JSONValue], _ key: String, at path: String) -> Bool? {
        member(members, key, at: path, "must be true or false") { $0.boolValue }
    }

    /// An integer member within `range`.
    func integer(_ members: [String: JSONValue], _ key: String, at path: String, in range: ClosedRange<Int>) -> Int? {
        member(members, key, at: path, "must be a whole number from \(range.lowerBound) to \(range.upperBound)") {
            $0.intValue.flatMap { range.contains($0) ? $0 : nil }
        }
    }

    /// A number member within `range`.
    func number(_ members: [String: JSONValue], _ key: String, at path: String, in range: ClosedRange<Double>) -> Double? {
        let bounds = "\(JSONValue.number(range.lowerBound).plainText) to \(JSONValue.number(range.upperBound).plainText)"
        return member(members, key, at: path, "must be a number from \(bounds)") {
            $0.doubleValue.flatMap { range.contains($0) ? $0 : nil }
        }
    }

    /// The member `key` read by `convert`; `reason` is reported when it gives nil, and a missing member only when
    /// `required`.
    private func member<T>(
        _ members: [String: JSONValue], _ key: String, at path: String, required: Bool = false, _ reason: String,
        _ convert: (JSONValue) -> T?
    ) -> T? {
        guard let value = members[key] else {
            if required { fail(ManifestReader.join(path, key), "is required") }
            return nil
        }
        guard let converted = convert(value) else {
            fail(ManifestReader.join(path, key), reason)
            return nil
        }
        return converted
    }

    /// An array of strings; `nonEmpty` rejects `[]`.
    func strings(_ value: JSONValue, at path: String, nonEmpty: Bool) -> [String]? {
        guard case .array(let elements) = value, !(nonEmpty && elements.isEmpty),
            elements.allSatisfy({ $0.stringValue != nil })
        else {
            fail(path, nonEmpty ? "must be a non-empty array of strings" : "must be an array of strings")
            return nil
        }
        return elements.compactMap(\.stringValue)
    }

    /// An object whose values are all strings, in key order.
    func stringMap(_ value: JSONValue, at path: String) -> [(key: String, value: String)]? {
        guard case .object(let members) = value, members.values.allSatisfy({ $0.stringValue != nil }) else {
            fail(path, "must be an object of strings")
            return nil
        }
        return members.keys.sorted().map { (key: $0, value: members[$0]!.stringValue!) }
    }

    /// The one key of `members` that names a kind (`exec`, `regex`, ...), or a problem when there is none or more.
    func kind(_ members: [String: JSONValue], at path: String, kinds: [String]) -> String? {
        let present = kinds.filter { members[$0] != nil }
        guard present.count == 1 else {
            fail(path, present.isEmpty
                ? "must have one of the keys: \(kinds.joined(separator: ", "))"
                : "has more than one of the keys: \(present.joined(separator: ", "))")
            return nil
        }
        return present[0]
    }
}
