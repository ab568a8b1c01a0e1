import Foundation
import HTTPServer
import JSON

extension Notification {
    /// The notification as one JSON object with snake_case keys: what plugins receive in their request JSON and
    /// what manifests see as template variables (`{{notification.sender.name}}`).
    ///
    /// ```
    /// { "platform": "slack", "team": "T0001",
    ///   "channel": {"id": "C1", "name": "ops"} | null,
    ///   "sender": {"id": "U1", "name": "Ada", "handle": "ada"} | null,
    ///   "text": "/echo hi", "command": "echo" | null, "response_url": "https://…" | null,
    ///   "timestamp": "2023-11-14T22:13:20Z" | null, "event": "push" | null,
    ///   "headers": {"content-type": "…"},   // names lowercased; repeated fields joined with ", "
    ///   "raw_body": "…",                      // the body as UTF-8 text (invalid bytes become U+FFFD)
    ///   "payload": <the decoded JSON document, or form fields as an object of strings>,
    ///   "hipchat": {"sender_id": 1, "sender_name": "…", "mention_name": "…", "room_id": 1234,
    ///               "room_name": "…", "message": "…", "date": "…"} | null }
    /// ```
    /// Absent values are `null`, so templates render them as empty text.
    public var jsonValue: JSONValue {
        var object: [String: JSONValue] = [
            "platform": .string(platform.rawValue),
            "team": team.map(JSONValue.string) ?? .null,
            "text": .string(text),
            "command": command.map(JSONValue.string) ?? .null,
            "response_url": responseURL.map(JSONValue.string) ?? .null,
            "timestamp": timestamp.map { .string(Notification.iso8601($0)) } ?? .null,
            "event": event.map(JSONValue.string) ?? .null,
            "headers": Notification.headersObject(headers),
            "raw_body": .string(String(decoding: rawBody, as: UTF8.self)),
            "payload": payload,
        ]
        object["channel"] = channel.map { channel in
            .object(["id": .string(channel.id), "name": channel.name.map(JSONValue.string) ?? .null])
        } ?? .null
        object["sender"] = sender.map { sender in
            .object([
                "id": .string(sender.id),
                "name": sender.name.map(JSONValue.string) ?? .null,
                "handle": sender.handle.map(JSONValue.string) ?? .null,
            ])
        } ?? .null
        object["hipchat"] = hipchat.map { message in
            .object([
                "sender_id": .number(Double(message.senderID)),
                "sender_name": .string(message.senderName),
                "mention_name": .string(message.mentionName),
                "room_id": .number(Double(message.roomID)),
                "room_name": .string(message.roomName),
                "message": .string(message.message),
                "date": .string(message.date),
            ])
        } ?? .null
        return .object(object)
    }

    /// Header names lowercased; repeated fields joined with ", " as HTTP allows.
    private static func headersObject(_ headers: HTTPHeaders) -> JSONValue {
        var result: [String: String] = [:]
        for field in headers {
            let name = field.name.lowercased()
            if let existing = result[name] {
                result[name] = existing + ", " + field.value
            } else {
                result[name] = field.value
            }
        }
        return .object(result.mapValues(JSONValue.string))
    }

    /// `2023-11-14T22:13:20Z`, with milliseconds when the date has a fraction of a second.
    static func iso8601(_ date: Date) -> String {
        let totalMillis = Int64((date.timeIntervalSince1970 * 1000).rounded())
        let (wholeSeconds, millis) = totalMillis.quotientAndRemainder(dividingBy: 1000)
        var seconds = time_t(millis < 0 ? wholeSeconds - 1 : wholeSeconds)
        let fraction = millis < 0 ? millis + 1000 : millis
        var parts = tm()
        gmtime_r(&seconds, &parts)
        let base = String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
            Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec))
        return fraction == 0 ? base + "Z" : base + String(format: ".%03dZ", Int(fraction))
    }
}
