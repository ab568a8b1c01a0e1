#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import HTTPTypes
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
    ///               "room_name": "…", "message": "…", "date": "…"} | null,
    ///   "verified_by": "slack_signature" | "hipchat_jwt" | … | null }   // see `SenderProof`
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
            "verified_by": verifiedBy.map { .string($0.rawValue) } ?? .null,
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
    public static func iso8601(_ date: Date) -> String {
        let totalMillis = Int64((date.timeIntervalSince1970 * 1000).rounded())
        let (wholeSeconds, millis) = totalMillis.quotientAndRemainder(dividingBy: 1000)
        let seconds = millis < 0 ? wholeSeconds - 1 : wholeSeconds
        let fraction = millis < 0 ? millis + 1000 : millis
        let (days, secondOfDay) = seconds.quotientAndRemainder(dividingBy: 86_400)
        let (year, month, day) = CivilDate.from(daysSinceEpoch: secondOfDay < 0 ? days - 1 : days)
        let second = secondOfDay < 0 ? secondOfDay + 86_400 : secondOfDay
        func pad(_ value: Int64, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        let base = "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(second / 3600, 2)):\(pad(second / 60 % 60, 2)):\(pad(second % 60, 2))"
        return fraction == 0 ? base + "Z" : base + "." + pad(fraction, 3) + "Z"
    }

    /// Parses what `iso8601(_:)` writes (`2023-11-14T22:13:20Z`, optionally with `.SSS`); `nil` for anything else.
    public static func date(iso8601 text: String) -> Date? {
        let bytes = Array(text.utf8)
        guard bytes.count == 20 || bytes.count == 24, bytes.last == UInt8(ascii: "Z") else { return nil }
        func number(_ start: Int, _ count: Int) -> Int64? {
            var value: Int64 = 0
            for byte in bytes[start..<(start + count)] {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
                value = value * 10 + Int64(byte - UInt8(ascii: "0"))
            }
            return value
        }
        let separators: [(Int, Character)] = [(4, "-"), (7, "-"), (10, "T"), (13, ":"), (16, ":")]
        guard separators.allSatisfy({ bytes[$0.0] == $0.1.asciiValue }),
            let year = number(0, 4), let month = number(5, 2), let day = number(8, 2), let hour = number(11, 2),
            let minute = number(14, 2), let second = number(17, 2), (1...12).contains(month), (1...31).contains(day),
            hour < 24, minute < 60, second < 61
        else { return nil }
        var millis: Int64 = 0
        if bytes.count == 24 {
            guard bytes[19] == UInt8(ascii: "."), let fraction = number(20, 3) else { return nil }
            millis = fraction
        }
        let days = CivilDate.daysSinceEpoch(year: year, month: month, day: day)
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second
        return Date(timeIntervalSince1970: Double(seconds * 1000 + millis) / 1000)
    }
}

/// Days since 1970-01-01 to and from year, month, day in the proleptic Gregorian calendar (Howard Hinnant's
/// algorithms), so dates need no calendar or locale.
enum CivilDate {
    static func daysSinceEpoch(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    static func from(daysSinceEpoch days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}

extension Notification {
    /// Reads the object `jsonValue` writes: how a plugin's SDK gets back the notification the host sent. Members
    /// missing or of the wrong type read as absent; `platform` defaults to generic.
    public init(json: JSONValue) throws(DecodingError) {
        guard case .object(let members) = json else {
            throw DecodingError(description: "the notification is not a JSON object")
        }
        self.init(
            platform: members["platform"]?.stringValue.flatMap(Platform.init(rawValue:)) ?? .generic,
            team: members["team"]?.stringValue, text: members["text"]?.stringValue ?? "",
            command: members["command"]?.stringValue, responseURL: members["response_url"]?.stringValue,
            timestamp: members["timestamp"]?.stringValue.flatMap(Notification.date(iso8601:)),
            event: members["event"]?.stringValue,
            headers: HTTPHeaders(
                (members["headers"]?.objectValue ?? [:]).sorted { $0.key < $1.key }.compactMap { name, value in
                    value.stringValue.map { (name: name, value: $0) }
                }),
            rawBody: Array((members["raw_body"]?.stringValue ?? "").utf8), payload: members["payload"] ?? .null)
        if let channel = members["channel"], let id = channel["id"]?.stringValue {
            self.channel = Channel(id: id, name: channel["name"]?.stringValue)
        }
        if let sender = members["sender"], let id = sender["id"]?.stringValue {
            self.sender = Sender(id: id, name: sender["name"]?.stringValue, handle: sender["handle"]?.stringValue)
        }
        verifiedBy = members["verified_by"]?.stringValue.flatMap(SenderProof.init(rawValue:))
        if let hipchat = members["hipchat"], case .object = hipchat {
            self.hipchat = HipChatMessage(
                senderID: hipchat["sender_id"]?.intValue ?? 0, senderName: hipchat["sender_name"]?.stringValue ?? "",
                mentionName: hipchat["mention_name"]?.stringValue ?? "", roomID: hipchat["room_id"]?.intValue ?? 0,
                roomName: hipchat["room_name"]?.stringValue ?? "", message: hipchat["message"]?.stringValue ?? "",
                date: hipchat["date"]?.stringValue ?? "")
        }
    }

    /// The platform type, as `Notification.Platform` too.
    public typealias Platform = IntegrationContract.Platform
    /// Why a body or document is not a notification.
    public typealias DecodingError = HipChatMessage.DecodingError
}
