/// A path pattern with literal segments and named parameters: `/deploy/<env>` matches `/deploy/prod` with
/// `env = prod`. Parameters match exactly one non-empty segment.
public struct RoutePattern: Sendable, Hashable, CustomStringConvertible {
    enum Segment: Hashable {
        case literal(String)
        case parameter(String)
    }

    let segments: [Segment]
    public let description: String

    /// Why a pattern is malformed.
    public struct InvalidPattern: Error, CustomStringConvertible {
        public let description: String
    }

    public init(_ pattern: String) throws(InvalidPattern) {
        guard pattern.hasPrefix("/") else { throw InvalidPattern(description: "must start with '/'") }
        var segments: [Segment] = []
        var names: Set<String> = []
        for part in pattern.split(separator: "/", omittingEmptySubsequences: true) {
            if part.hasPrefix("<") && part.hasSuffix(">") && part.count > 2 {
                let name = String(part.dropFirst().dropLast())
                guard IntegrationName.isValid(name) else {
                    throw InvalidPattern(description: "parameter <\(name)> must match [A-Za-z0-9_-]{1,64}")
                }
                guard names.insert(name).inserted else {
                    throw InvalidPattern(description: "parameter <\(name)> appears twice")
                }
                segments.append(.parameter(name))
            } else {
                guard !part.contains("<"), !part.contains(">") else {
                    throw InvalidPattern(description: "a parameter must be a whole segment, as in /deploy/<env>")
                }
                segments.append(.literal(String(part)))
            }
        }
        self.segments = segments
        self.description = pattern
    }

    /// The path this pattern matches when it has no parameters, in the form `canonical` gives.
    public var literalPath: String? {
        var path = ""
        for segment in segments {
            guard case .literal(let literal) = segment else { return nil }
            path += "/" + literal
        }
        return path.isEmpty ? "/" : path
    }

    /// `path` with empty segments dropped (`//a/b/` → `/a/b`): the form in which a parameterless pattern matches it.
    public static func canonical(_ path: String) -> String {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        return parts.isEmpty ? "/" : "/" + parts.joined(separator: "/")
    }

    /// The parameters if `path` (already percent-decoded) matches, else `nil`.
    public func match(_ path: String) -> [String: String]? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        guard parts.count == segments.count else { return nil }
        var parameters: [String: String] = [:]
        for (segment, part) in zip(segments, parts) {
            switch segment {
            case .literal(let literal):
                guard literal == part else { return nil }
            case .parameter(let name):
                parameters[name] = String(part)
            }
        }
        return parameters
    }
}
