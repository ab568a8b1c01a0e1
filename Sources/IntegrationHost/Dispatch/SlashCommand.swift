/// `/NAME QUERY` taken apart: `/deploy prod now` → `deploy`, `prod now`.
public struct SlashCommand: Sendable, Equatable {
    public let name: String
    public let query: String

    /// Parses a message; `nil` unless it starts with `/` followed by a valid name (`[A-Za-z0-9_-]{1,64}`) and then
    /// whitespace or the end. `/../x` and `/a/b` are not commands.
    public init?(message: String) {
        let trimmed = message.drop { $0.isWhitespace }
        guard trimmed.first == "/" else { return nil }
        let afterSlash = trimmed.dropFirst()
        let nameEnd = afterSlash.firstIndex { $0.isWhitespace } ?? afterSlash.endIndex
        let name = afterSlash[..<nameEnd]
        guard IntegrationName.isValid(name) else { return nil }
        self.name = String(name)
        self.query = String(afterSlash[nameEnd...].drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
    }

    public init(name: String, query: String) {
        self.name = name
        self.query = query
    }
}
