import IntegrationContract
import JSON

/// The host's request document, read on demand. `handle` checks the whole document once (one pass that builds
/// nothing: `JSONValue.objectMembers`) and keeps where each member's value lies; a member is built when the plugin
/// first asks for it, and the notification's payload only when the plugin reads `payload`. Parsing the whole
/// document up front cost about as much as the rest of a small plugin's call together (the benchmark's HipChat
/// request: 12 µs of 25), most of it for members a plugin never reads.
final class RequestDocument {
    /// A copy of the request: `handle`'s buffer is the host's and gone when `handle` returns, and a plugin may keep
    /// the invocation's values for longer.
    private let bytes: [UInt8]
    private let members: [String: Range<Int>]
    private var cachedNotification: Notification?
    private var cachedTokens: Tokens?

    /// Checks the request: one JSON object with a `notification` object.
    init(_ request: UnsafeRawBufferPointer) throws(RequestError) {
        bytes = Array(request)
        let found: [(name: String, range: Range<Int>)]?
        do {
            found = try bytes.withUnsafeBufferPointer { buffer throws(JSONParseError) in
                try JSONValue.objectMembers(in: buffer)
            }
        } catch {
            throw RequestError(error.description)
        }
        guard let found else { throw RequestError("the request is not a JSON object") }
        // A member seen again replaces an earlier one, as in a parsed object.
        members = Dictionary(found.map { ($0.name, $0.range) }, uniquingKeysWith: { _, last in last })
        guard let notification = members["notification"] else { throw RequestError("the request has no notification") }
        guard bytes[notification.lowerBound] == UInt8(ascii: "{") else {
            throw RequestError("the notification is not a JSON object")
        }
    }

    /// The value of member `name`, built now; `nil` when there is none. The document was checked whole, so this
    /// parse cannot fail.
    func value(_ name: String) -> JSONValue? {
        guard let range = members[name] else { return nil }
        return try? JSONValue(parsing: bytes[range])
    }

    func string(_ name: String) -> String? { value(name)?.stringValue }

    /// The notification, built on first use, its payload on first use of `payload`.
    var notification: Notification {
        if let cachedNotification { return cachedNotification }
        let built = buildNotification()
        cachedNotification = built
        return built
    }

    var allTokens: Tokens {
        if let cachedTokens { return cachedTokens }
        let tokens = Tokens(json: value("all_tokens") ?? .null)
        cachedTokens = tokens
        return tokens
    }

    private func buildNotification() -> Notification {
        guard let range = members["notification"] else { return Notification(platform: .generic, text: "") }
        return bytes.withUnsafeBufferPointer { whole in
            let buffer = UnsafeBufferPointer(rebasing: whole[range])
            guard let found = try? JSONValue.objectMembers(in: buffer) else {
                return Notification(platform: .generic, text: "")
            }
            var object: [String: JSONValue] = [:]
            object.reserveCapacity(found.count)
            var payload: Range<Int>?
            var rawBody: Range<Int>?
            for member in found {
                // The body and its document are most of the request, and few plugins read them: made on first use.
                if member.name == "payload" {
                    payload = member.range
                    object[member.name] = nil
                    continue
                }
                if member.name == "raw_body" {
                    rawBody = member.range
                    object[member.name] = nil
                    continue
                }
                object[member.name] = try? JSONValue(parsing: UnsafeBufferPointer(rebasing: buffer[member.range]))
            }
            guard var notification = try? Notification(json: .object(object)) else {
                return Notification(platform: .generic, text: "")
            }
            if let rawBody, buffer[rawBody.lowerBound] == UInt8(ascii: "\"") {
                let literal = Array(UnsafeBufferPointer(rebasing: buffer[rawBody]))
                notification.setDeferredRawBody {
                    Array(((try? JSONValue(parsing: literal))?.stringValue ?? "").utf8)
                }
            }
            if let payload, buffer[payload.lowerBound] != UInt8(ascii: "n") {
                notification.setCheckedJSONPayload(Array(UnsafeBufferPointer(rebasing: buffer[payload])))
            }
            return notification
        }
    }
}
