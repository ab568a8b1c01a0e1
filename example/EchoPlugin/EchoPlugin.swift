import IntegrationKit

/// The example from hipchat-integration, as a compiled plugin: `/echo hello` logs who said what, remembers the
/// query and answers with it.
struct Echo: Integration {
    static let name = "echo"
    static let summary = "Echoes the query back and remembers the last one"

    /// What the plugin keeps in storage under "last".
    struct LastQuery: Codable, Equatable {
        var query: String
        var sender: String
    }

    /// Thrown for an empty query: the host answers 500 with this description.
    struct NothingToEcho: Error, CustomStringConvertible {
        var description: String { "nothing to echo: try /echo hello" }
    }

    func run(_ invocation: Invocation) throws -> Reply? {
        let sender = invocation.notification.hipchat?.senderName ?? invocation.notification.sender?.name ?? "someone"
        invocation.log("\(sender) said: \(invocation.notification.text)")
        guard !invocation.query.isEmpty else { throw NothingToEcho() }
        let previous = try invocation.storage.get("last", as: LastQuery.self)
        try invocation.storage.set("last", LastQuery(query: invocation.query, sender: sender))
        let count = try invocation.storage.increment("count")
        var text = "\(sender): \(invocation.query) (echo #\(Int(count)))"
        if let previous { text += ", previously \(previous.sender): \(previous.query)" }
        return Reply(text, color: .green)
    }
}

@_cdecl("integration_plugin_v1") public func plugin() -> UnsafeRawPointer { export(Echo.self) }
