import IntegrationKit

/// A room's shared notes, to show the rest of the SDK: `Codable` values updated atomically, keys, delete,
/// compare-and-set, errors with a status, and a route answering JSON with its own headers.
///
///     /notes add buy milk      → noted (#1)
///     /notes list              → 1. buy milk (Ada)
///     /notes pin 1             → pinned #1 (only one note is pinned; the first to pin wins)
///     /notes forget            → forgot 1 note
///     GET /notes/json          → {"notes": [{"text": "buy milk", "by": "Ada"}], "pinned": 1}
struct Notes: Integration {
    static let name = "notes"
    static let summary = "Shared notes for a room"
    static let routes = [Route("/notes/<format>", methods: ["GET"])]

    /// One note, as stored under "notes".
    struct Note: Codable, Equatable {
        var text: String
        var by: String
    }

    static let usage = "usage: /notes add TEXT | list | pin N | forget"

    func run(_ invocation: Invocation) throws -> Reply? {
        if invocation.method == "GET" { return try notesAsJSON(invocation) }
        let sender = invocation.notification.sender?.name ?? "someone"
        let words = invocation.query.split(separator: " ", maxSplits: 1).map(String.init)
        invocation.log.debug("\(sender): /notes \(words.first ?? "")")
        switch (words.first, words.count) {
        case ("add", 2):
            let notes = try invocation.storage.update("notes", initial: [Note]()) { notes in
                notes.append(Note(text: words[1], by: sender))
            }
            return Reply("noted (#\(notes.count))")
        case ("list", 1):
            let notes = try invocation.storage.get("notes", as: [Note].self) ?? []
            guard !notes.isEmpty else { return Reply("no notes") }
            return Reply(
                notes.enumerated().map { "\($0.offset + 1). \($0.element.text) (\($0.element.by))" }
                    .joined(separator: "\n"))
        case ("pin", 2):
            guard let number = Int(words[1]), number >= 1 else { throw IntegrationError(status: 400, Notes.usage) }
            if try invocation.storage.compareAndSet("pinned", expected: Int?.none, new: number) {
                return Reply("pinned #\(number)", color: .purple, notify: true)
            }
            let pinned = try invocation.storage.get("pinned", as: Int.self) ?? 0
            return Reply("#\(pinned) is already pinned", visibility: .ephemeral)
        case ("forget", 1):
            let count = try invocation.storage.get("notes", as: [Note].self)?.count ?? 0
            for key in try invocation.storage.keys() { try invocation.storage.delete(key) }
            return Reply(count == 1 ? "forgot 1 note" : "forgot \(count) notes")
        default:
            throw IntegrationError(status: 400, Notes.usage)
        }
    }

    /// `GET /notes/json`: the notes as a JSON body for other tools.
    private func notesAsJSON(_ invocation: Invocation) throws -> Reply {
        guard invocation.routeParameters["format"] == "json" else {
            throw IntegrationError(status: 404, "only /notes/json exists")
        }
        let notes = try invocation.storage.json("notes").map { try JSONValue(parsing: $0) } ?? []
        let pinned = try invocation.storage.json("pinned").map { try JSONValue(parsing: $0) } ?? .null
        return Reply("notes", json: ["notes": notes, "pinned": pinned], headers: ["Cache-Control": "no-store"])
    }
}

@_cdecl("integration_plugin_v1") public func plugin() -> UnsafeRawPointer { export(Notes.self) }
