import HTTPTypes
import HostCore
import IntegrationContract
import Platforms

/// What is loaded, as `integration-host list` prints it and `GET /integrations` answers it: each integration with
/// its kind, file, commands, routes, auth and conflicts (and, from a running host, its run counters and state);
/// then the conflicts, the load problems and the token warnings.
public struct IntegrationListing: Sendable {
    /// One integration.
    public struct Item: Sendable {
        public let name: String
        public let kind: String
        public let file: String
        public let summary: String
        public let commands: [String]
        /// `/hooks/NAME` first, then the routes it declared.
        public let routes: [Route]
        public let auth: IntegrationAuth
        public let conflicts: [CatalogConflict]
        /// Why it cannot run now (a plugin that crashed too often), if so.
        public let unavailableReason: String?
        /// Its runs so far; `nil` in a listing made without a running host.
        public let statistics: RunStatistics.Snapshot?

        /// `degraded` when it cannot run now (`unavailableReason`), else `failing` when most recent runs failed
        /// (`RunStatistics.Snapshot.isFailing`), else `ok`.
        public var state: String {
            if unavailableReason != nil { return "degraded" }
            return statistics?.isFailing == true ? "failing" : "ok"
        }
    }

    /// A path and the methods it takes.
    public struct Route: Sendable, Equatable {
        public let path: String
        public let methods: [String]

        public var description: String { "\(methods.joined(separator: "|")) \(path)" }
    }

    public let items: [Item]
    public let conflicts: [CatalogConflict]
    /// The catalog's problems: files that failed to load, bad or duplicate names, claims that lost a conflict.
    public let problems: [String]
    /// Tokens that look mistyped (`TokenWarnings`).
    public let warnings: [String]

    /// The listing of what `catalog` holds now; with `statistics` (a running host's), the counters too.
    public init(catalog: Catalog, secrets: PlatformSecrets, tokens: Tokens, statistics: RunStatistics? = nil) {
        let entries = catalog.entries
        items = entries.map { entry in
            let integration = entry.integration
            let declared = integration.routes.map { Route(path: "\($0.pattern)", methods: IntegrationListing.names($0.methods)) }
            return Item(
                name: entry.name, kind: entry.kind, file: entry.file, summary: integration.summary,
                commands: integration.commands,
                routes: [Route(path: "/hooks/\(entry.name)", methods: IntegrationListing.names(integration.hookMethods))] + declared,
                auth: IntegrationAuth(integration, secrets: secrets), conflicts: entry.conflicts,
                unavailableReason: integration.unavailableReason,
                statistics: statistics.map { $0.snapshot(of: entry.name) })
        }
        conflicts = catalog.conflicts
        problems = catalog.problems.map(\.description)
        warnings = TokenWarnings.warnings(for: tokens, loaded: Set(entries.map(\.name)))
    }

    private static func names(_ methods: Set<HTTPMethod>) -> [String] { methods.map(\.rawValue).sorted() }
}
