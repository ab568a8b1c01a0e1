#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A set of dot paths (`item.message.message`, `commits.0.id`) to pick out of documents without building the rest
/// of them. Build it once and reuse it: it holds the paths as a tree.
public struct JSONPaths: Sendable {
    /// The paths as given, in order; `JSONPick` answers by position or by path.
    public let paths: [String]
    let root: Node
    private let positions: [String: Int]

    /// One step of the tree: the member names (or array indices) below it, and the path that ends here, if any.
    final class Node: Sendable {
        typealias Entry = (position: Int, components: ArraySlice<Substring>)

        /// Members below, by name as UTF-8 bytes.
        let members: [(name: [UInt8], node: Node)]
        /// Array elements below, by index: names read as `value(atPath:)` reads them (`Int(name)`), so `1` and
        /// `01` share one node.
        let elements: [(index: Int, node: Node)]
        /// The position of a path that ends here.
        let ending: Int?
        /// Every path that ends here or below, with its components after this node.
        let covered: [(position: Int, rest: [Substring])]

        init(_ entries: [Entry]) {
            ending = entries.first { $0.components.isEmpty }?.position
            covered = entries.map { ($0.position, Array($0.components)) }
            let below = entries.filter { !$0.components.isEmpty }
            members = Node.grouped(below, by: { String($0) }).map { (Array($0.key.utf8), Node($0.entries)) }
            elements = Node.grouped(below.filter { Int($0.components.first!) != nil }, by: { Int($0)! })
                .map { ($0.key, Node($0.entries)) }
        }

        /// Entries grouped by the key of their first component (first-seen order), each without that component.
        private static func grouped<Key: Equatable>(_ entries: [Entry], by key: (Substring) -> Key)
            -> [(key: Key, entries: [Entry])]
        {
            var groups: [(key: Key, entries: [Entry])] = []
            for entry in entries {
                let first = key(entry.components.first!)
                let rest = (entry.position, entry.components.dropFirst())
                if let group = groups.firstIndex(where: { $0.key == first }) {
                    groups[group].entries.append(rest)
                } else {
                    groups.append((first, [rest]))
                }
            }
            return groups
        }

        func child(named name: UnsafeBufferPointer<UInt8>) -> Node? {
            for member in members where member.name.count == name.count {
                let same = member.name.withUnsafeBufferPointer { own in
                    name.isEmpty || memcmp(own.baseAddress!, name.baseAddress!, name.count) == 0
                }
                if same { return member.node }
            }
            return nil
        }

        func child(at index: Int) -> Node? {
            elements.first { $0.index == index }?.node
        }
    }

    /// No paths: `pick` with it only checks the document.
    public static let none = JSONPaths([])

    public init(_ paths: [String]) {
        self.paths = paths
        self.root = Node(paths.enumerated().map { ($0.offset, $0.element.split(separator: ".", omittingEmptySubsequences: false)[...]) })
        self.positions = Dictionary(paths.enumerated().map { ($0.element, $0.offset) }, uniquingKeysWith: { first, _ in first })
    }

    func position(of path: String) -> Int? { positions[path] }
}

/// What `JSONValue.pick` found: the value at each path (as `value(atPath:)` on the whole document gives it), and
/// the root itself when it is not an object or array.
public struct JSONPick: Sendable {
    /// The kind of a document's root.
    public enum RootKind: Sendable, Equatable {
        case object, array, scalar
    }

    public let paths: JSONPaths
    public let rootKind: RootKind
    /// The root when it is a string, number, boolean or null; nil for objects and arrays.
    public let scalarRoot: JSONValue?
    /// The values, in the order of `paths.paths`.
    public let values: [JSONValue?]

    /// The value at `path`, which must be one of the picked paths.
    public subscript(path: String) -> JSONValue? {
        guard let position = paths.position(of: path) else {
            preconditionFailure("\(path) is not one of the picked paths")
        }
        return values[position]
    }
}

extension JSONValue {
    /// Checks that `bytes` is one JSON document, exactly as `init(parsing:)` does (same errors), and returns the
    /// values at `paths` without building the rest of the document: skipped parts allocate nothing.
    public static func pick(_ paths: JSONPaths, from bytes: [UInt8], maxDepth: Int = 256) throws(JSONParseError)
        -> JSONPick
    {
        try bytes.withUnsafeBufferPointer { buffer throws(JSONParseError) in
            try pick(paths, from: buffer, maxDepth: maxDepth)
        }
    }

    /// `pick(_:from:maxDepth:)` over a buffer.
    public static func pick(_ paths: JSONPaths, from buffer: UnsafeBufferPointer<UInt8>, maxDepth: Int = 256)
        throws(JSONParseError) -> JSONPick
    {
        var parser = JSONParser(buffer, maxDepth: maxDepth)
        var values = [JSONValue?](repeating: nil, count: paths.paths.count)
        let (kind, scalar) = try parser.pickDocument(paths.root, into: &values)
        return JSONPick(paths: paths, rootKind: kind, scalarRoot: scalar, values: values)
    }
}
