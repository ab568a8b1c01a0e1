import HTTPTypes

/// Two or more integrations claiming the same slash command, or the same route and method: only one can answer.
/// The first file by name wins (as it always did); the others keep everything else they declare.
public struct CatalogConflict: Sendable, Hashable, CustomStringConvertible {
    /// An integration and the file it came from.
    public struct Claimant: Sendable, Hashable, CustomStringConvertible {
        public let name: String
        public let file: String
        public var description: String { "\(name) (\(file))" }
    }

    /// What is claimed twice: `command /w`, or `route POST /deploy/<env>`.
    public let claim: String
    /// The integration that answers it.
    public let winner: Claimant
    /// The integrations that declared it too and do not get it, in file order.
    public let others: [Claimant]

    public var description: String {
        "\(claim) is claimed by \(([winner] + others).map(\.description).joined(separator: " and ")): "
            + "\(winner.name) answers it"
    }

    /// Whether `name` takes part in this conflict.
    public func involves(_ name: String) -> Bool { winner.name == name || others.contains { $0.name == name } }
}
