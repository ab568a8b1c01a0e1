import IntegrationKit

/// The example from hipchat-integration, as a compiled plugin: `/parrot hello` logs who said what, remembers the
/// query and repeats it. It also answers `/echo` where no other integration does (the peer benchmark posts
/// `/echo testing me`).
struct Parrot: Integration {
    static let name = "parrot"
    static let summary = "Repeats the query and remembers the last one"
    static let commands = ["parrot", "echo"]

    /// What the plugin keeps in storage under "last".
    struct LastQuery: Codable, Equatable {
        var query: String
        var sender: String
    }

    /// Thrown for an empty query: the host answers 500 with this description.
    struct NothingToRepeat: Error, CustomStringConvertible {
        var description: String { "nothing to repeat: try /parrot hello" }
    }

    func run(_ invocation: Invocation) throws -> Reply? {
        let sender = invocation.notification.hipchat?.senderName ?? invocation.notification.sender?.name ?? "someone"
        invocation.log("\(sender) said: \(invocation.notification.text)")
        guard !invocation.query.isEmpty else { throw NothingToRepeat() }
        let previous = try invocation.storage.get("last", as: LastQuery.self)
        try invocation.storage.set("last", LastQuery(query: invocation.query, sender: sender))
        let count = try invocation.storage.increment("count")
        var text = "\(sender): \(invocation.query) (parrot #\(count))"
        if let previous { text += ", previously \(previous.sender): \(previous.query)" }
        return Reply(text, color: .green)
    }
}

@_cdecl("integration_plugin_v1") public func plugin() -> UnsafeRawPointer { export(Parrot.self) }
