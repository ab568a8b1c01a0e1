import FoundationEssentials
import JSON

// `Codable` values to and from the JSON text the host's storage calls take, without `JSONEncoder`/`JSONDecoder`:
// those cost several microseconds a call for a two-field struct, as much as the rest of a storage round trip. The
// JSON is what `JSONEncoder()`/`JSONDecoder()` with their default strategies write and read — `Data` as base64,
// `Date` as its own `Codable` (seconds since 2001), `URL` as its absolute string, non-finite numbers refused — so
// values stored by earlier versions of the SDK read back unchanged. Numbers are JSON numbers, held by the host as
// doubles (exact up to 2^53), as before.

/// Encodes a value as JSON text.
enum StorageEncoder {
    static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        let node = try StorageEncoder.node(for: value, at: [])
        var out: [UInt8] = []
        out.reserveCapacity(64)
        node.write(into: &out)
        return out
    }

    /// The node for one value: the special cases `JSONEncoder` makes, else the value's own `encode(to:)`.
    static func node<T: Encodable>(for value: T, at path: [any CodingKey]) throws -> EncodedNode {
        // Type comparisons, not casts: a cast of every value to each special type costs a runtime call.
        if T.self == String.self { return EncodedNode(.string(value as! String)) }
        if T.self == Data.self { return EncodedNode(.string((value as! Data).base64EncodedString())) }
        if T.self == URL.self { return EncodedNode(.string((value as! URL).absoluteString)) }
        if T.self == Decimal.self {
            guard let number = Double((value as! Decimal).description) else {
                throw EncodingError.invalidValue(value, .init(codingPath: path, debugDescription: "not a number"))
            }
            return EncodedNode(.number(number))
        }
        let encoder = NodeEncoder(codingPath: path)
        try value.encode(to: encoder)
        return encoder.root ?? EncodedNode(.object([]))
    }
}

/// One value being encoded: a leaf, or an object or array whose members may still be filled in by containers.
final class EncodedNode {
    enum Content {
        case leaf(JSONValue)
        case object([(String, EncodedNode)])
        case array([EncodedNode])
    }

    var content: Content

    init(_ leaf: JSONValue) { content = .leaf(leaf) }
    init(_ content: Content) { self.content = content }

    /// Members in the order they were encoded (a key encoded twice is written twice; the host keeps the last, as
    /// `JSONEncoder`'s output would have it).
    func write(into out: inout [UInt8]) {
        switch content {
        case .leaf(let value): value.write(into: &out)
        case .array(let elements):
            out.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                element.write(into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            for (index, (key, member)) in members.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                JSONValue.writeString(key, into: &out)
                out.append(UInt8(ascii: ":"))
                member.write(into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    func append(_ key: String, _ node: EncodedNode) {
        guard case .object(var members) = content else { return }
        content = .leaf(.null)  // drop the reference so the append below does not copy
        members.append((key, node))
        content = .object(members)
    }

    func append(_ node: EncodedNode) {
        guard case .array(var elements) = content else { return }
        content = .leaf(.null)
        elements.append(node)
        content = .array(elements)
    }

    var count: Int {
        switch content {
        case .leaf: return 0
        case .object(let members): return members.count
        case .array(let elements): return elements.count
        }
    }
}

private final class NodeEncoder: Encoder {
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }
    var root: EncodedNode?

    init(codingPath: [any CodingKey]) { self.codingPath = codingPath }

    /// The container's node: the one already there if it has the right kind (a type may ask twice), else a new one.
    func node(_ make: () -> EncodedNode.Content, matches: (EncodedNode.Content) -> Bool) -> EncodedNode {
        if let root, matches(root.content) { return root }
        let node = EncodedNode(make())
        root = node
        return node
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        let node = node({ .object([]) }) { if case .object = $0 { true } else { false } }
        return KeyedEncodingContainer(KeyedNodeContainer<Key>(node: node, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        let node = node({ .array([]) }) { if case .array = $0 { true } else { false } }
        return UnkeyedNodeContainer(node: node, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer { SingleNodeContainer(encoder: self) }
}

/// A number as JSON, refusing what `JSONEncoder` refuses by default (NaN, infinities).
private func number(_ value: Double, _ original: Any, _ path: [any CodingKey]) throws -> EncodedNode {
    guard value.isFinite else {
        throw EncodingError.invalidValue(
            original, .init(codingPath: path, debugDescription: "Unable to encode \(value) directly in JSON."))
    }
    return EncodedNode(.number(value))
}

private struct SingleNodeContainer: SingleValueEncodingContainer {
    let encoder: NodeEncoder
    var codingPath: [any CodingKey] { encoder.codingPath }

    private func set(_ node: EncodedNode) { encoder.root = node }

    mutating func encodeNil() throws { set(EncodedNode(.null)) }
    mutating func encode(_ value: Bool) throws { set(EncodedNode(.bool(value))) }
    mutating func encode(_ value: String) throws { set(EncodedNode(.string(value))) }
    mutating func encode(_ value: Double) throws { set(try number(value, value, codingPath)) }
    mutating func encode(_ value: Float) throws { set(try number(Double(value), value, codingPath)) }
    mutating func encode(_ value: Int) throws { set(EncodedNode(.number(Double(value)))) }
    mutating func encode(_ value: Int8) throws { set(EncodedNode(.number(Double(value)))) }
    mutating func encode(_ value: Int16) throws { set(EncodedNode(.number(Double(value)))) }
    mutating func encode(_ value: Int32) throws { set(EncodedNode(.number(Double(value)))) }
    mutating func encode(_ value: Int64) throws { set(EncodedNode(.number(Double(value)))) }
    mutating func encode(_ value: UInt) throws { set(EncodedNode(.number(Double(value)))) }
    mutating func encode(_ value: UInt8) throws { set(EncodedNode(.number(Double(value)))) }
    mutating func encode(_ value: UInt16) throws { set(EncodedNode(.number(Double(value)))) }
    mutating func encode(_ value: UInt32) throws { set(EncodedNode(.number(Double(value)))) }
    mutating func encode(_ value: UInt64) throws { set(EncodedNode(.number(Double(value)))) }
    mutating func encode<T: Encodable>(_ value: T) throws {
        set(try StorageEncoder.node(for: value, at: codingPath))
    }
}

private struct KeyedNodeContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let node: EncodedNode
    let codingPath: [any CodingKey]

    private func put(_ key: Key, _ child: EncodedNode) { node.append(key.stringValue, child) }

    mutating func encodeNil(forKey key: Key) throws { put(key, EncodedNode(.null)) }
    mutating func encode(_ value: Bool, forKey key: Key) throws { put(key, EncodedNode(.bool(value))) }
    mutating func encode(_ value: String, forKey key: Key) throws { put(key, EncodedNode(.string(value))) }
    mutating func encode(_ value: Double, forKey key: Key) throws {
        put(key, try number(value, value, codingPath + [key]))
    }
    mutating func encode(_ value: Float, forKey key: Key) throws {
        put(key, try number(Double(value), value, codingPath + [key]))
    }
    mutating func encode(_ value: Int, forKey key: Key) throws { put(key, EncodedNode(.number(Double(value)))) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { put(key, EncodedNode(.number(Double(value)))) }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        put(key, try StorageEncoder.node(for: value, at: codingPath + [key]))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key)
        -> KeyedEncodingContainer<NestedKey>
    {
        let child = EncodedNode(EncodedNode.Content.object([]))
        put(key, child)
        return KeyedEncodingContainer(KeyedNodeContainer<NestedKey>(node: child, codingPath: codingPath + [key]))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        let child = EncodedNode(EncodedNode.Content.array([]))
        put(key, child)
        return UnkeyedNodeContainer(node: child, codingPath: codingPath + [key])
    }

    mutating func superEncoder() -> any Encoder {
        ChildEncoder(codingPath: codingPath + [NameKey("super")]) { [node] child in node.append("super", child) }
    }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        ChildEncoder(codingPath: codingPath + [key]) { [node] child in node.append(key.stringValue, child) }
    }
}

private struct UnkeyedNodeContainer: UnkeyedEncodingContainer {
    let node: EncodedNode
    let codingPath: [any CodingKey]
    var count: Int { node.count }

    private var nextPath: [any CodingKey] { codingPath + [IndexKey(node.count)] }

    mutating func encodeNil() throws { node.append(EncodedNode(.null)) }
    mutating func encode(_ value: Bool) throws { node.append(EncodedNode(.bool(value))) }
    mutating func encode(_ value: String) throws { node.append(EncodedNode(.string(value))) }
    mutating func encode(_ value: Double) throws { node.append(try number(value, value, nextPath)) }
    mutating func encode(_ value: Float) throws { node.append(try number(Double(value), value, nextPath)) }
    mutating func encode(_ value: Int) throws { node.append(EncodedNode(.number(Double(value)))) }
    mutating func encode<T: Encodable>(_ value: T) throws {
        node.append(try StorageEncoder.node(for: value, at: nextPath))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type)
        -> KeyedEncodingContainer<NestedKey>
    {
        let path = nextPath
        let child = EncodedNode(EncodedNode.Content.object([]))
        node.append(child)
        return KeyedEncodingContainer(KeyedNodeContainer<NestedKey>(node: child, codingPath: path))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let path = nextPath
        let child = EncodedNode(EncodedNode.Content.array([]))
        node.append(child)
        return UnkeyedNodeContainer(node: child, codingPath: path)
    }

    mutating func superEncoder() -> any Encoder {
        // The element's place is taken now, so elements encoded after this one keep their order.
        let placeholder = EncodedNode(.object([]))
        node.append(placeholder)
        return ChildEncoder(codingPath: nextPath) { child in placeholder.content = child.content }
    }
}

/// An encoder whose value goes to its parent when it is released (`superEncoder`).
private final class ChildEncoder: Encoder {
    let inner: NodeEncoder
    let store: (EncodedNode) -> Void
    var codingPath: [any CodingKey] { inner.codingPath }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    init(codingPath: [any CodingKey], store: @escaping (EncodedNode) -> Void) {
        inner = NodeEncoder(codingPath: codingPath)
        self.store = store
    }

    deinit { store(inner.root ?? EncodedNode(.object([]))) }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        inner.container(keyedBy: type)
    }
    func unkeyedContainer() -> any UnkeyedEncodingContainer { inner.unkeyedContainer() }
    func singleValueContainer() -> any SingleValueEncodingContainer { inner.singleValueContainer() }
}

/// A member name that is none of the type's own keys (`super`).
private struct NameKey: CodingKey {
    let stringValue: String
    var intValue: Int? { nil }
    init(_ name: String) { stringValue = name }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

private struct IndexKey: CodingKey {
    let intValue: Int?
    var stringValue: String { "Index \(intValue ?? 0)" }
    init(_ index: Int) { intValue = index }
    init?(stringValue: String) { nil }
    init?(intValue: Int) { self.intValue = intValue }
}

// MARK: - Decoding

/// Decodes JSON text into a value.
enum StorageDecoder {
    static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws -> T {
        let document: JSONValue
        do {
            document = try JSONValue(parsing: bytes)
        } catch {
            throw DecodingError.dataCorrupted(
                .init(codingPath: [], debugDescription: "The given data was not valid JSON.", underlyingError: error))
        }
        return try value(T.self, from: document, at: [])
    }

    /// The special cases `JSONDecoder` makes, else the type's own `init(from:)`.
    static func value<T: Decodable>(_ type: T.Type, from json: JSONValue, at path: [any CodingKey]) throws -> T {
        if T.self == String.self { return try string(json, path) as! T }
        if T.self == Data.self {
            guard let data = Data(base64Encoded: try string(json, path)) else {
                throw DecodingError.dataCorrupted(
                    .init(codingPath: path, debugDescription: "Encountered Data is not valid Base64."))
            }
            return data as! T
        }
        if T.self == URL.self {
            guard let url = URL(string: try string(json, path)) else {
                throw DecodingError.dataCorrupted(.init(codingPath: path, debugDescription: "Invalid URL string."))
            }
            return url as! T
        }
        if T.self == Decimal.self {
            guard case .number(let number) = json else { throw mismatch(Decimal.self, json, path) }
            return Decimal(number) as! T
        }
        return try T(from: NodeDecoder(json, codingPath: path))
    }

    static func string(_ json: JSONValue, _ path: [any CodingKey]) throws -> String {
        guard case .string(let string) = json else { throw mismatch(String.self, json, path) }
        return string
    }

    static func mismatch(_ type: Any.Type, _ json: JSONValue, _ path: [any CodingKey]) -> DecodingError {
        let found: String
        switch json {
        case .null: found = "null"
        case .bool: found = "a boolean"
        case .number: found = "a number"
        case .string: found = "a string"
        case .array: found = "an array"
        case .object: found = "a dictionary"
        }
        return .typeMismatch(type, .init(codingPath: path, debugDescription: "Expected \(type) but found \(found) instead."))
    }

    static func bool(_ json: JSONValue, _ path: [any CodingKey]) throws -> Bool {
        guard case .bool(let bool) = json else { throw mismatch(Bool.self, json, path) }
        return bool
    }

    static func double(_ json: JSONValue, _ path: [any CodingKey]) throws -> Double {
        guard case .number(let number) = json else { throw mismatch(Double.self, json, path) }
        return number
    }

    static func float(_ json: JSONValue, _ path: [any CodingKey]) throws -> Float {
        let number = try double(json, path)
        let float = Float(number)
        guard float.isFinite else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: path, debugDescription: "Parsed JSON number <\(number)> does not fit in Float."))
        }
        return float
    }

    static func integer<I: FixedWidthInteger>(_ type: I.Type, _ json: JSONValue, _ path: [any CodingKey]) throws -> I {
        guard case .number(let number) = json else { throw mismatch(I.self, json, path) }
        guard let integer = I(exactly: number) else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: path, debugDescription: "Parsed JSON number <\(number)> does not fit in \(I.self)."))
        }
        return integer
    }
}

private struct NodeDecoder: Decoder {
    let json: JSONValue
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    init(_ json: JSONValue, codingPath: [any CodingKey]) {
        self.json = json
        self.codingPath = codingPath
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .object(let members) = json else {
            throw StorageDecoder.mismatch([String: Any].self, json, codingPath)
        }
        return KeyedDecodingContainer(KeyedNodeDecoder<Key>(members: members, codingPath: codingPath))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .array(let elements) = json else { throw StorageDecoder.mismatch([Any].self, json, codingPath) }
        return UnkeyedNodeDecoder(elements: elements, codingPath: codingPath)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { SingleNodeDecoder(json: json, codingPath: codingPath) }
}

private struct SingleNodeDecoder: SingleValueDecodingContainer {
    let json: JSONValue
    let codingPath: [any CodingKey]

    func decodeNil() -> Bool { json.isNull }
    func decode(_ type: Bool.Type) throws -> Bool { try StorageDecoder.bool(json, codingPath) }
    func decode(_ type: String.Type) throws -> String { try StorageDecoder.string(json, codingPath) }
    func decode(_ type: Double.Type) throws -> Double { try StorageDecoder.double(json, codingPath) }
    func decode(_ type: Float.Type) throws -> Float { try StorageDecoder.float(json, codingPath) }
    func decode(_ type: Int.Type) throws -> Int { try StorageDecoder.integer(Int.self, json, codingPath) }
    func decode(_ type: Int8.Type) throws -> Int8 { try StorageDecoder.integer(Int8.self, json, codingPath) }
    func decode(_ type: Int16.Type) throws -> Int16 { try StorageDecoder.integer(Int16.self, json, codingPath) }
    func decode(_ type: Int32.Type) throws -> Int32 { try StorageDecoder.integer(Int32.self, json, codingPath) }
    func decode(_ type: Int64.Type) throws -> Int64 { try StorageDecoder.integer(Int64.self, json, codingPath) }
    func decode(_ type: UInt.Type) throws -> UInt { try StorageDecoder.integer(UInt.self, json, codingPath) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try StorageDecoder.integer(UInt8.self, json, codingPath) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try StorageDecoder.integer(UInt16.self, json, codingPath) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try StorageDecoder.integer(UInt32.self, json, codingPath) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try StorageDecoder.integer(UInt64.self, json, codingPath) }
    func decode<T: Decodable>(_ type: T.Type) throws -> T { try StorageDecoder.value(T.self, from: json, at: codingPath) }
}

private struct KeyedNodeDecoder<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let members: [String: JSONValue]
    let codingPath: [any CodingKey]

    var allKeys: [Key] { members.keys.compactMap { Key(stringValue: $0) } }

    func contains(_ key: Key) -> Bool { members[key.stringValue] != nil }

    private func member(_ key: Key) throws -> JSONValue {
        guard let value = members[key.stringValue] else {
            throw DecodingError.keyNotFound(
                key, .init(codingPath: codingPath, debugDescription: "No value associated with key \(key) (\"\(key.stringValue)\")."))
        }
        return value
    }

    func decodeNil(forKey key: Key) throws -> Bool { try member(key).isNull }
    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool {
        try StorageDecoder.bool(member(key), codingPath + [key])
    }
    func decode(_ type: String.Type, forKey key: Key) throws -> String {
        try StorageDecoder.string(member(key), codingPath + [key])
    }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double {
        try StorageDecoder.double(member(key), codingPath + [key])
    }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int {
        try StorageDecoder.integer(Int.self, member(key), codingPath + [key])
    }
    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        try StorageDecoder.value(T.self, from: member(key), at: codingPath + [key])
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws
        -> KeyedDecodingContainer<NestedKey>
    {
        try NodeDecoder(member(key), codingPath: codingPath + [key]).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try NodeDecoder(member(key), codingPath: codingPath + [key]).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder {
        NodeDecoder(members["super"] ?? .null, codingPath: codingPath + [NameKey("super")])
    }

    func superDecoder(forKey key: Key) throws -> any Decoder {
        NodeDecoder(members[key.stringValue] ?? .null, codingPath: codingPath + [key])
    }
}

private struct UnkeyedNodeDecoder: UnkeyedDecodingContainer {
    let elements: [JSONValue]
    let codingPath: [any CodingKey]
    private(set) var currentIndex = 0

    init(elements: [JSONValue], codingPath: [any CodingKey]) {
        self.elements = elements
        self.codingPath = codingPath
    }

    var count: Int? { elements.count }
    var isAtEnd: Bool { currentIndex >= elements.count }

    private mutating func next<T>(_ type: T.Type) throws -> (JSONValue, [any CodingKey]) {
        let path = codingPath + [IndexKey(currentIndex)]
        guard !isAtEnd else {
            throw DecodingError.valueNotFound(type, .init(codingPath: path, debugDescription: "Unkeyed container is at end."))
        }
        defer { currentIndex += 1 }
        return (elements[currentIndex], path)
    }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd, elements[currentIndex].isNull else { return false }
        currentIndex += 1
        return true
    }
    mutating func decode(_ type: Bool.Type) throws -> Bool {
        let (json, path) = try next(type)
        return try StorageDecoder.bool(json, path)
    }
    mutating func decode(_ type: String.Type) throws -> String {
        let (json, path) = try next(type)
        return try StorageDecoder.string(json, path)
    }
    mutating func decode(_ type: Double.Type) throws -> Double {
        let (json, path) = try next(type)
        return try StorageDecoder.double(json, path)
    }
    mutating func decode(_ type: Int.Type) throws -> Int {
        let (json, path) = try next(type)
        return try StorageDecoder.integer(Int.self, json, path)
    }
    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        let (json, path) = try next(type)
        return try StorageDecoder.value(T.self, from: json, at: path)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws
        -> KeyedDecodingContainer<NestedKey>
    {
        let (json, path) = try next(KeyedDecodingContainer<NestedKey>.self)
        return try NodeDecoder(json, codingPath: path).container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        let (json, path) = try next((any UnkeyedDecodingContainer).self)
        return try NodeDecoder(json, codingPath: path).unkeyedContainer()
    }

    mutating func superDecoder() throws -> any Decoder {
        let (json, path) = try next((any Decoder).self)
        return NodeDecoder(json, codingPath: path)
    }
}
