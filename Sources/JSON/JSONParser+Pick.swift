/// Skipping and picking: the parser's grammar and errors, building only the values a `JSONPaths` asks for.
extension JSONParser {
    mutating func pickDocument(_ root: JSONPaths.Node, into values: inout [JSONValue?]) throws(JSONParseError)
        -> (JSONPick.RootKind, JSONValue?)
    {
        skipWhitespace()
        let kind: JSONPick.RootKind
        var scalar: JSONValue?
        switch index < bytes.count ? bytes[index] : 0 {
        case UInt8(ascii: "{"):
            kind = .object
            try pick(root, depth: 0, into: &values)
        case UInt8(ascii: "["):
            kind = .array
            try pick(root, depth: 0, into: &values)
        default:
            kind = .scalar
            scalar = try parseValue(depth: 0)
        }
        skipWhitespace()
        guard index == bytes.count else { throw error("unexpected data after the document") }
        return (kind, scalar)
    }

    /// The value at the current position, for `node`: built whole when a path ends here, else walked for the
    /// paths below and skipped elsewhere.
    private mutating func pick(_ node: JSONPaths.Node, depth: Int, into values: inout [JSONValue?])
        throws(JSONParseError)
    {
        // A member seen again replaces what an earlier one gave, as in the parsed object (the last one wins).
        for (position, _) in node.covered { values[position] = nil }
        if node.ending != nil {
            let value = try parseValue(depth: depth)
            for (position, rest) in node.covered {
                values[position] = value.value(following: rest)
            }
            return
        }
        guard depth <= maxDepth else { throw error("nesting deeper than \(maxDepth)") }
        skipWhitespace()
        guard index < bytes.count else { throw error("unexpected end of input") }
        switch bytes[index] {
        case UInt8(ascii: "{"): try pickObject(node, depth: depth, into: &values)
        case UInt8(ascii: "["): try pickArray(node, depth: depth, into: &values)
        default: try skipValue(depth: depth)
        }
    }

    private mutating func pickObject(_ node: JSONPaths.Node, depth: Int, into values: inout [JSONValue?])
        throws(JSONParseError)
    {
        try forEachMember { parser throws(JSONParseError) in
            try parser.memberNode(in: node)
        } value: { parser, child throws(JSONParseError) in
            if let child {
                try parser.pick(child, depth: depth + 1, into: &values)
            } else {
                try parser.skipValue(depth: depth + 1)
            }
        }
    }

    /// Reads a member name and returns the child of `node` it names, if any.
    private mutating func memberNode(in node: JSONPaths.Node) throws(JSONParseError) -> JSONPaths.Node? {
        let start = index
        if try skipString() {
            let name = UnsafeBufferPointer(rebasing: bytes[(start + 1)..<(index - 1)])
            if !name.contains(UInt8(ascii: "\\")) { return node.child(named: name) }
        }
        index = start
        var name = try parseString()
        return name.withUTF8 { node.child(named: $0) }
    }

    private mutating func pickArray(_ node: JSONPaths.Node, depth: Int, into values: inout [JSONValue?])
        throws(JSONParseError)
    {
        try forEachElement { parser, position throws(JSONParseError) in
            if let child = node.child(at: position) {
                try parser.pick(child, depth: depth + 1, into: &values)
            } else {
                try parser.skipValue(depth: depth + 1)
            }
        }
    }

    /// Checks one value as `parseValue` does, building nothing (except for strings with escapes or non-ASCII
    /// text, which are checked by decoding them).
    mutating func skipValue(depth: Int) throws(JSONParseError) {
        guard depth <= maxDepth else { throw error("nesting deeper than \(maxDepth)") }
        skipWhitespace()
        guard index < bytes.count else { throw error("unexpected end of input") }
        switch bytes[index] {
        case UInt8(ascii: "{"):
            try forEachMember { parser throws(JSONParseError) in
                try parser.skipAnyString()
            } value: { parser, _ throws(JSONParseError) in
                try parser.skipValue(depth: depth + 1)
            }
        case UInt8(ascii: "["):
            try forEachElement { parser, _ throws(JSONParseError) in try parser.skipValue(depth: depth + 1) }
        case UInt8(ascii: "\""): try skipAnyString()
        case UInt8(ascii: "t"): try expectLiteral("true")
        case UInt8(ascii: "f"): try expectLiteral("false")
        case UInt8(ascii: "n"): try expectLiteral("null")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): _ = try parseNumber()
        default: throw error("unexpected character")
        }
    }

    /// Moves past any string, decoding it only when it has escapes or non-ASCII text.
    private mutating func skipAnyString() throws(JSONParseError) {
        let start = index
        if try !skipString() {
            index = start
            _ = try parseString()
        }
    }

    /// Moves past a string of ASCII text and returns true; returns false where it found a non-ASCII byte or a
    /// `\u` escape (or an invalid one), for the caller to decode the string from its start instead, so errors are
    /// exactly `parseString`'s. The one-character escapes (`\"`, `\n`, …) are checked here: a JSON body carried
    /// inside a JSON string is full of them.
    private mutating func skipString() throws(JSONParseError) -> Bool {
        index += 1
        while true {
            index = plainRunEnd(from: index)
            guard index < bytes.count else { break }
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                index += 1
                return true
            }
            if byte == UInt8(ascii: "\\") {
                guard index + 1 < bytes.count else { return false }
                switch bytes[index + 1] {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                    UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    index += 2
                    continue
                default:
                    return false
                }
            }
            if byte >= 0x80 { return false }
            throw error("control character in string")
        }
        throw error("unterminated string")
    }
}

extension JSONValue {
    /// Checks that `buffer` is one JSON document whose root is an object, exactly as `init(parsing:)` does (same
    /// errors), and returns each member's name and the byte range of its value, in document order, building no
    /// value: for reading a large document member by member, on demand (`init(parsing:)` on a range's bytes).
    /// `nil` when the root is not an object.
    public static func objectMembers(in buffer: UnsafeBufferPointer<UInt8>, maxDepth: Int = 256)
        throws(JSONParseError) -> [(name: String, range: Range<Int>)]?
    {
        try objectMembers(in: buffer, expanding: nil, maxDepth: maxDepth)?.members
    }

    /// `objectMembers(in:maxDepth:)`, and in the same pass the members of the object that member `expanding` holds
    /// (ranges in `buffer` too): `nil` when there is no such member or it is not an object. For a document whose
    /// reader needs one level more of one member, without a second pass over it.
    public static func objectMembers(in buffer: UnsafeBufferPointer<UInt8>, expanding: String?, maxDepth: Int = 256)
        throws(JSONParseError)
        -> (members: [(name: String, range: Range<Int>)], expanded: [(name: String, range: Range<Int>)]?)?
    {
        var parser = JSONParser(buffer, maxDepth: maxDepth)
        parser.skipWhitespace()
        guard parser.index < buffer.count, buffer[parser.index] == UInt8(ascii: "{") else {
            _ = try parser.parseDocument()
            return nil
        }
        let found = try parser.memberRanges(depth: 1, expanding: expanding)
        parser.skipWhitespace()
        guard parser.index == buffer.count else { throw parser.error("unexpected data after the document") }
        return found
    }
}

extension JSONParser {
    /// Reads the object at `index` member by member, building no value: each member's name and the byte range of
    /// its value, in document order; with `expanding`, also the members of the object that member holds (`nil`
    /// when there is none, or the last of that name is no object, as in the parsed object). `depth` is the
    /// object's values' nesting depth.
    mutating func memberRanges(depth: Int, expanding: String?) throws(JSONParseError)
        -> (members: [(name: String, range: Range<Int>)], expanded: [(name: String, range: Range<Int>)]?)
    {
        var members: [(name: String, range: Range<Int>)] = []
        var expanded: [(name: String, range: Range<Int>)]?
        members.reserveCapacity(16)
        try forEachMember { parser throws(JSONParseError) in
            try parser.parseString()
        } value: { parser, name throws(JSONParseError) in
            parser.skipWhitespace()
            let start = parser.index
            if name == expanding, depth <= parser.maxDepth, start < parser.bytes.count,
                parser.bytes[start] == UInt8(ascii: "{")
            {
                expanded = try parser.memberRanges(depth: depth + 1, expanding: nil).members
            } else {
                if name == expanding { expanded = nil }
                try parser.skipValue(depth: depth)
            }
            members.append((name, start..<parser.index))
        }
        return (members, expanded)
    }
}
