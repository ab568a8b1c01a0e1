import HTTPTypes
import IntegrationContract
import JSON
import Synchronization

/// The host's request document, read on demand. `handle` checks the whole document once (one pass that builds
/// nothing: `JSONValue.objectMembers`) and keeps where each member's value lies, and the notification's members';
/// a member is built when the plugin first asks for it, and the notification's raw body and payload only when the
/// plugin reads them. Parsing the whole document up front cost about as much as the rest of a small plugin's call
/// together (the benchmark's HipChat request: 12 µs of 25), most of it for members a plugin never reads.
final class RequestDocument {
    /// A copy of the request: `handle`'s buffer is the host's and gone when `handle` returns, and a plugin may keep
    /// the invocation's values for longer.
    private let bytes: [UInt8]
    /// Members in document order; lookups take the last of a repeated name, as a parsed object does. A short list
    /// searched in order costs less than hashing every name into a dictionary.
    private let members: [(name: String, range: Range<Int>)]
    private let notificationMembers: [(name: String, range: Range<Int>)]
    /// What has been built, under a lock: a plugin may read its invocation from threads of its own.
    private let built = Mutex<(notification: Notification?, tokens: Tokens?)>((nil, nil))

    /// Checks the request: one JSON object with a `notification` object.
    init(_ request: UnsafeRawBufferPointer) throws(RequestError) {
        bytes = Array(request)
        let found: (members: [(name: String, range: Range<Int>)], expanded: [(name: String, range: Range<Int>)]?)?
        do {
            found = try bytes.withUnsafeBufferPointer { buffer throws(JSONParseError) in
                try JSONValue.objectMembers(in: buffer, expanding: "notification")
            }
        } catch {
            throw RequestError(error.description)
        }
        guard let found else { throw RequestError("the request is not a JSON object") }
        members = found.members
        guard members.contains(where: { $0.name == "notification" }) else {
            throw RequestError("the request has no notification")
        }
        guard let notification = found.expanded else { throw RequestError("the notification is not a JSON object") }
        notificationMembers = notification
    }

    private static func range(_ name: String, in members: [(name: String, range: Range<Int>)]) -> Range<Int>? {
        members.last { $0.name == name }?.range
    }

    /// The value at `range`, built now. The document was checked whole, so this parse cannot fail.
    private func value(at range: Range<Int>) -> JSONValue? { try? JSONValue(parsing: bytes[range]) }

    /// The string at `range`: copied straight from the bytes when it has no escapes and is ASCII, else parsed.
    private func string(at range: Range<Int>) -> String? {
        guard bytes[range.lowerBound] == UInt8(ascii: "\"") else { return nil }
        let inner = (range.lowerBound + 1)..<(range.upperBound - 1)
        let plain = bytes.withUnsafeBufferPointer { buffer in
            !buffer[inner].contains { $0 == UInt8(ascii: "\\") || $0 >= 0x80 }
        }
        if plain { return String(decoding: bytes[inner], as: UTF8.self) }
        return value(at: range)?.stringValue
    }

    /// The members of the object at `range` (ranges in `bytes`), in order; empty when it is not an object. Read
    /// one by one: no dictionary of the object is built.
    private func members(at range: Range<Int>) -> [(name: String, range: Range<Int>)] {
        guard bytes[range.lowerBound] == UInt8(ascii: "{") else { return [] }
        let found = bytes.withUnsafeBufferPointer { buffer in
            try? JSONValue.objectMembers(in: UnsafeBufferPointer(rebasing: buffer[range]))
        }
        return (found ?? nil)?.map { ($0.name, ($0.range.lowerBound + range.lowerBound)..<($0.range.upperBound + range.lowerBound)) } ?? []
    }

    private func int(at range: Range<Int>) -> Int? { value(at: range)?.intValue }

    /// The value of member `name`, built now; `nil` when there is none.
    func value(_ name: String) -> JSONValue? { RequestDocument.range(name, in: members).flatMap(value(at:)) }

    func string(_ name: String) -> String? { RequestDocument.range(name, in: members).flatMap(string(at:)) }

    /// The notification, built on first use, its raw body and payload on their first use.
    var notification: Notification {
        built.withLock { built in
            if let notification = built.notification { return notification }
            let notification = buildNotification()
            built.notification = notification
            return notification
        }
    }

    var allTokens: Tokens {
        built.withLock { built in
            if let tokens = built.tokens { return tokens }
            let tokens = Tokens(json: value("all_tokens") ?? .null)
            built.tokens = tokens
            return tokens
        }
    }

    /// What `Notification(json:)` reads, member by member: missing members and members of the wrong type read as
    /// absent, `platform` defaults to generic, headers come sorted by name.
    private func buildNotification() -> Notification {
        var notification = Notification(platform: .generic, text: "")
        // The last of a repeated name wins: later members overwrite earlier ones, and a wrong type clears.
        for (name, range) in notificationMembers {
            switch name {
            case "platform": notification.platform = string(at: range).flatMap(Platform.init(rawValue:)) ?? .generic
            case "team": notification.team = string(at: range)
            case "text": notification.text = string(at: range) ?? ""
            case "command": notification.command = string(at: range)
            case "response_url": notification.responseURL = string(at: range)
            case "timestamp": notification.timestamp = string(at: range).flatMap(Notification.date(iso8601:))
            case "event": notification.event = string(at: range)
            case "headers":
                var fields: [String: String] = [:]
                for (field, fieldRange) in members(at: range) { fields[field] = string(at: fieldRange) }
                notification.headers = HTTPHeaders(fields.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
            case "raw_body":
                // Most of the request, and few plugins read it: decoded on first use.
                if bytes[range.lowerBound] == UInt8(ascii: "\"") {
                    let literal = Array(bytes[range])
                    notification.setDeferredRawBody {
                        Array(((try? JSONValue(parsing: literal))?.stringValue ?? "").utf8)
                    }
                } else {
                    notification.rawBody = []
                }
            case "channel":
                var id: String?
                var channelName: String?
                for (member, memberRange) in members(at: range) {
                    if member == "id" { id = string(at: memberRange) }
                    if member == "name" { channelName = string(at: memberRange) }
                }
                notification.channel = id.map { Notification.Channel(id: $0, name: channelName) }
            case "sender":
                var id: String?
                var senderName: String?
                var handle: String?
                for (member, memberRange) in members(at: range) {
                    switch member {
                    case "id": id = string(at: memberRange)
                    case "name": senderName = string(at: memberRange)
                    case "handle": handle = string(at: memberRange)
                    default: break
                    }
                }
                notification.sender = id.map { Notification.Sender(id: $0, name: senderName, handle: handle) }
            case "verified_by": notification.verifiedBy = string(at: range).flatMap(SenderProof.init(rawValue:))
            case "hipchat":
                guard bytes[range.lowerBound] == UInt8(ascii: "{") else {
                    notification.hipchat = nil
                    continue
                }
                var message = HipChatMessage(
                    senderID: 0, senderName: "", mentionName: "", roomID: 0, roomName: "", message: "", date: "")
                for (member, memberRange) in members(at: range) {
                    switch member {
                    case "sender_id": message.senderID = int(at: memberRange) ?? 0
                    case "sender_name": message.senderName = string(at: memberRange) ?? ""
                    case "mention_name": message.mentionName = string(at: memberRange) ?? ""
                    case "room_id": message.roomID = int(at: memberRange) ?? 0
                    case "room_name": message.roomName = string(at: memberRange) ?? ""
                    case "message": message.message = string(at: memberRange) ?? ""
                    case "date": message.date = string(at: memberRange) ?? ""
                    default: break
                    }
                }
                notification.hipchat = message
            default: break
            }
        }
        // The payload last: setting the raw body above would clear it.
        if let payload = RequestDocument.range("payload", in: notificationMembers) {
            if bytes[payload.lowerBound] == UInt8(ascii: "n") {
                notification.payload = .null
            } else {
                notification.setCheckedJSONPayload(Array(bytes[payload]))
            }
        }
        return notification
    }
}
