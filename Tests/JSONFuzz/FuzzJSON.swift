// libFuzzer entry point for the JSON parser and writer. Not a SwiftPM target: `.ci/fuzz-json.sh` compiles it
// together with Sources/JSON (`swiftc -sanitize=fuzzer,address -parse-as-library`).
//
// Every input is parsed, and picked (`JSONValue.pick`) for a fixed set of paths: the two must fail with the same
// error or agree on every path. A document that parses must survive the writer: its compact and pretty
// serializations parse back to an equal value, and serializing that value again gives the same bytes;
// `serializedCount` is the written length, and `serializedCount(notOver:)` agrees with it. `objectMembers(in:
// expanding:)` (the on-demand reader) must fail as the parser does, and its member ranges (and those of the
// expanded member `a`) must hold the parsed values.

private let paths = JSONPaths(["a", "a.b", "a.b.c", "0", "0.a", "1.0", "", "a.", "text", "item.message.message"])

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSON(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = UnsafeBufferPointer(start: data, count: size)
    let parsed = Result { () throws(JSONParseError) in try JSONValue(parsing: input, maxDepth: 64) }
    let picked = Result { () throws(JSONParseError) in try JSONValue.pick(paths, from: input, maxDepth: 64) }
    switch (parsed, picked) {
    case (.success(let document), .success(let pick)):
        for path in paths.paths where pick[path] != document.value(atPath: path) {
            fatalError("pick disagrees with the parsed document at \(path)")
        }
    case (.failure(let parseError), .failure(let pickError)):
        guard parseError == pickError else { fatalError("pick failed differently: \(pickError) vs \(parseError)") }
    default:
        fatalError("parse and pick disagree on whether this is JSON")
    }
    checkObjectMembers(input, parsed: parsed)
    guard case .success(let value) = parsed else { return 0 }
    let compact = value.serializedBytes()
    guard value.serializedCount == compact.count else { fatalError("serializedCount differs from the written length") }
    guard value.serializedCount(notOver: compact.count) == compact.count, value.serializedCount(notOver: compact.count - 1) == nil
    else { fatalError("serializedCount(notOver:) differs from the written length") }
    guard let again = try? JSONValue(parsing: compact, maxDepth: 64) else {
        fatalError("the writer produced unparseable JSON: \(String(decoding: compact, as: UTF8.self))")
    }
    guard again == value || containsNaNLike(value) else { fatalError("round trip changed the value") }
    guard again.serializedBytes() == compact else { fatalError("serialization is not stable") }
    let pretty = value.serializedBytes(.pretty(indent: 4))
    guard (try? JSONValue(parsing: pretty, maxDepth: 64)) == again else { fatalError("pretty output differs") }
    return 0
}

/// Numbers outside ±2^53 may print in a form that reads back rounded differently; equality is not expected there.
private func containsNaNLike(_ value: JSONValue) -> Bool {
    switch value {
    case .number(let d): return abs(d) > 9_007_199_254_740_992 || d != d.rounded() && String(d).contains("e")
    case .array(let elements): return elements.contains(where: containsNaNLike)
    case .object(let members): return members.values.contains(where: containsNaNLike)
    default: return false
    }
}

/// The on-demand reader against the parser: the same error, `nil` exactly when the root is not an object, and each
/// name's last range (repeated names: the last wins, as in the parsed object) parsing to the parsed member.
private func checkObjectMembers(_ input: UnsafeBufferPointer<UInt8>, parsed: Result<JSONValue, JSONParseError>) {
    let read = Result { () throws(JSONParseError) in try JSONValue.objectMembers(in: input, expanding: "a", maxDepth: 64) }
    switch (parsed, read) {
    case (.failure(let parseError), .failure(let readError)):
        guard parseError == readError else { fatalError("objectMembers failed differently: \(readError) vs \(parseError)") }
    case (.success(let document), .success(let result)):
        guard let object = document.objectValue else {
            guard result == nil else { fatalError("objectMembers read members of a root that is not an object") }
            return
        }
        guard let result else { fatalError("objectMembers found no object at an object root") }
        checkRanges(result.members, against: object, in: input)
        if let inner = object["a"]?.objectValue {
            guard let expanded = result.expanded else { fatalError("objectMembers did not expand member a") }
            checkRanges(expanded, against: inner, in: input)
        } else if result.expanded != nil {
            fatalError("objectMembers expanded a member a that is not an object")
        }
    default:
        fatalError("parse and objectMembers disagree on whether this is JSON")
    }
}

private func checkRanges(
    _ members: [(name: String, range: Range<Int>)], against object: [String: JSONValue], in input: UnsafeBufferPointer<UInt8>
) {
    var last: [String: Range<Int>] = [:]
    for member in members { last[member.name] = member.range }
    guard last.count == object.count else { fatalError("objectMembers found \(last.count) names, the parser \(object.count)") }
    for (name, range) in last {
        let slice = UnsafeBufferPointer(rebasing: input[range])
        guard let value = try? JSONValue(parsing: slice, maxDepth: 64), value == object[name] else {
            fatalError("objectMembers' range for \(name) does not hold the parsed value")
        }
    }
}
