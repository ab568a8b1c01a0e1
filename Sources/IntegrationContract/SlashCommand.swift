/// `/NAME QUERY` taken apart: `/deploy prod now` → `deploy`, `prod now`.
public struct SlashCommand: Sendable, Equatable {
    public let name: String
    public let query: String

    /// Parses a message; `nil` unless it starts with `/` followed by a valid name (`[A-Za-z0-9_-]{1,64}`) and then
    /// whitespace or the end. `/../x` and `/a/b` are not commands.
    public init?(message: String) {
        let scalars = message.unicodeScalars
        guard let slash = scalars.firstIndex(where: { !$0.properties.isWhitespace }), scalars[slash] == "/" else {
            return nil
        }
        let nameStart = scalars.index(after: slash)
        let nameEnd = scalars[nameStart...].firstIndex { $0.properties.isWhitespace } ?? scalars.endIndex
        let name = Substring(scalars[nameStart..<nameEnd])
        guard IntegrationName.isValid(name) else { return nil }
        self.name = String(name)
        guard let queryStart = scalars[nameEnd...].firstIndex(where: { !$0.properties.isWhitespace }),
            let queryLast = scalars[queryStart...].lastIndex(where: { !$0.properties.isWhitespace })
        else {
            self.query = ""
            return
        }
        self.query = String(scalars[queryStart...queryLast])
    }

    public init(name: String, query: String) {
        self.name = name
        self.query = query
    }
}
