/// Decoding of `multipart/form-data` bodies (RFC 7578 over RFC 2046's framing): fields and files, bounded.
public enum MultipartDecoding {
    /// One part: a field, or a file when it has a `filename`.
    public struct Part: Sendable, Equatable {
        public let name: String
        public let filename: String?
        public let contentType: String?
        public let body: [UInt8]
    }

    /// Why a body is not a well-formed, bounded multipart body.
    public struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
        public let reason: String
        public init(reason: String) { self.reason = reason }
        public var description: String { reason }
    }

    /// What one body may hold.
    public struct Limits: Sendable {
        public var maxParts: Int
        public var maxPartBytes: Int
        public var maxHeaderBytes: Int

        public init(maxParts: Int, maxPartBytes: Int, maxHeaderBytes: Int) {
            self.maxParts = maxParts
            self.maxPartBytes = maxPartBytes
            self.maxHeaderBytes = maxHeaderBytes
        }

        /// 1000 parts, 512 KiB a part (field or file), 8 KiB of headers a part.
        public static let standard = Limits(maxParts: 1000, maxPartBytes: 512 * 1024, maxHeaderBytes: 8 * 1024)
    }

    /// The `boundary` parameter of a `multipart/form-data` Content-Type, quoted or not; `nil` when it is missing
    /// or not 1–70 printable characters (RFC 2046).
    public static func boundary(contentType: String) -> String? {
        for parameter in parameters(contentType.split(separator: ";", maxSplits: 1).dropFirst().first ?? "") {
            guard parameter.name.lowercased() == "boundary" else { continue }
            let value = parameter.value
            guard (1...70).contains(value.utf8.count), value.utf8.allSatisfy({ $0 >= 32 && $0 < 127 }) else { return nil }
            return value
        }
        return nil
    }

    /// The parts of `body`, delimited by `boundary`. A preamble before the first delimiter and an epilogue after
    /// the last are ignored.
    public static func parts(_ body: [UInt8], boundary: String, limits: Limits = .standard) throws(Failure) -> [Part] {
        let delimiter = Array("--\(boundary)".utf8)
        let crlf: [UInt8] = [13, 10]
        var position: Int
        if body.starts(with: delimiter) {
            position = delimiter.count
        } else if let found = find(crlf + delimiter, in: body[...], from: 0) {
            position = found + 2 + delimiter.count
        } else {
            throw Failure(reason: "no boundary \(boundary) in the body")
        }
        var parts: [Part] = []
        while true {
            if body[position...].starts(with: [45, 45]) { return parts }
            while position < body.count, body[position] == 32 || body[position] == 9 { position += 1 }
            guard body[position...].starts(with: crlf) else { throw Failure(reason: "no CRLF after a boundary") }
            position += 2
            guard parts.count < limits.maxParts else { throw Failure(reason: "more than \(limits.maxParts) parts") }
            let headerEnd: Int
            let contentStart: Int
            if body[position...].starts(with: crlf) {
                headerEnd = position
                contentStart = position + 2
            } else {
                let window = min(body.count, position + limits.maxHeaderBytes + 4)
                guard let end = find(crlf + crlf, in: body[..<window], from: position) else {
                    throw Failure(
                        reason: window == body.count
                            ? "a part's headers do not end" : "a part's headers are longer than \(limits.maxHeaderBytes) bytes")
                }
                headerEnd = end
                contentStart = end + 4
            }
            guard let contentEnd = find(crlf + delimiter, in: body[...], from: contentStart) else {
                throw Failure(reason: "a part does not end with the boundary")
            }
            let part = try makePart(headers: body[position..<headerEnd], body: Array(body[contentStart..<contentEnd]))
            guard part.body.count <= limits.maxPartBytes else {
                throw Failure(reason: "part \(part.name) is larger than \(limits.maxPartBytes) bytes")
            }
            parts.append(part)
            position = contentEnd + 2 + delimiter.count
        }
    }

    private static func makePart(headers: ArraySlice<UInt8>, body: [UInt8]) throws(Failure) -> Part {
        var name: String?
        var filename: String?
        var contentType: String?
        for line in String(decoding: headers, as: UTF8.self).split(separator: "\r\n") {
            guard let colon = line.firstIndex(of: ":") else { throw Failure(reason: "a part header without a colon") }
            let field = line[..<colon].trimmingSpaces.lowercased()
            let value = line[line.index(after: colon)...].trimmingSpaces
            switch field {
            case "content-disposition":
                let pieces = value.split(separator: ";", maxSplits: 1)
                guard pieces.first?.trimmingSpaces.lowercased() == "form-data" else {
                    throw Failure(reason: "a part that is not form-data")
                }
                for parameter in parameters(pieces.dropFirst().first ?? "") {
                    switch parameter.name.lowercased() {
                    case "name": name = parameter.value
                    case "filename": filename = parameter.value
                    default: break
                    }
                }
            case "content-type":
                contentType = String(value)
            default:
                break
            }
        }
        guard let name else { throw Failure(reason: "a part without a Content-Disposition name") }
        return Part(name: name, filename: filename, contentType: contentType, body: body)
    }

    /// `a=1; b="two; three"` → name/value pairs; quoted values may escape with a backslash.
    private static func parameters(_ text: some StringProtocol) -> [(name: String, value: String)] {
        var result: [(name: String, value: String)] = []
        var characters = Substring(text)[...]
        while !characters.isEmpty {
            characters = characters.drop { $0 == ";" || $0 == " " || $0 == "\t" }
            let name = characters.prefix { $0 != "=" && $0 != ";" }
            characters = characters.dropFirst(name.count)
            var value = ""
            if characters.first == "=" {
                characters = characters.dropFirst()
                if characters.first == "\"" {
                    characters = characters.dropFirst()
                    while let character = characters.popFirst(), character != "\"" {
                        if character == "\\", let escaped = characters.popFirst() { value.append(escaped) } else { value.append(character) }
                    }
                } else {
                    let raw = characters.prefix { $0 != ";" }
                    characters = characters.dropFirst(raw.count)
                    value = String(raw.trimmingSpaces)
                }
            }
            let trimmed = name.trimmingSpaces
            if !trimmed.isEmpty { result.append((String(trimmed), value)) }
        }
        return result
    }

    /// The index where `needle` first occurs in `haystack` at or after `start`.
    private static func find(_ needle: [UInt8], in haystack: ArraySlice<UInt8>, from start: Int) -> Int? {
        guard let first = needle.first, haystack.endIndex - start >= needle.count else { return nil }
        var index = start
        let last = haystack.endIndex - needle.count
        while index <= last {
            if haystack[index] == first {
                var matched = 1
                while matched < needle.count, haystack[index + matched] == needle[matched] { matched += 1 }
                if matched == needle.count { return index }
            }
            index += 1
        }
        return nil
    }
}

extension StringProtocol {
    fileprivate var trimmingSpaces: Substring {
        let isSpace = { (c: Character) in c == " " || c == "\t" }
        let start = firstIndex { !isSpace($0) } ?? endIndex
        let end = lastIndex { !isSpace($0) }.map { index(after: $0) } ?? start
        return Substring(self[start..<end])
    }
}
