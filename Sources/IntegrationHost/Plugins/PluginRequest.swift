import Foundation
import HTTPServer
import JSON

/// The request document `handle` receives (its members are listed in integration_abi.h), written straight into
/// bytes with the JSON writer's primitives: no intermediate `JSONValue` tree, no `JSONEncoder`. Its
/// "notification" member is exactly `Notification.jsonValue`, the shape manifests see too.
enum PluginRequest {
    /// The document for `invocation`, followed by a NUL byte that `count` leaves out.
    static func encode(_ invocation: Invocation, integration: String) -> (bytes: [UInt8], count: Int) {
        var out: [UInt8] = []
        out.reserveCapacity(1024 + invocation.notification.rawBody.count * 2)
        out.append(contentsOf: #"{"abi_version":1,"integration":"#.utf8)
        JSONValue.writeString(integration, into: &out)
        member("request_id", &out)
        JSONValue.writeString(invocation.requestID, into: &out)
        member("query", &out)
        JSONValue.writeString(invocation.query, into: &out)
        member("token", &out)
        optional(invocation.token, &out)
        member("all_tokens", &out)
        tokens(invocation.allTokens, &out)
        member("route_parameters", &out)
        strings(invocation.routeParameters, &out)
        member("notification", &out)
        notification(invocation.notification, &out)
        out.append(UInt8(ascii: "}"))
        let count = out.count
        out.append(0)
        return (out, count)
    }

    private static func notification(_ notification: Notification, _ out: inout [UInt8]) {
        out.append(contentsOf: #"{"platform":"#.utf8)
        JSONValue.writeString(notification.platform.rawValue, into: &out)
        member("team", &out)
        optional(notification.team, &out)
        member("command", &out)
        optional(notification.command, &out)
        member("response_url", &out)
        optional(notification.responseURL, &out)
        member("event", &out)
        optional(notification.event, &out)
        member("text", &out)
        JSONValue.writeString(notification.text, into: &out)
        member("channel", &out)
        if let channel = notification.channel {
            out.append(contentsOf: #"{"id":"#.utf8)
            JSONValue.writeString(channel.id, into: &out)
            member("name", &out)
            optional(channel.name, &out)
            out.append(UInt8(ascii: "}"))
        } else {
            out.append(contentsOf: "null".utf8)
        }
        member("sender", &out)
        if let sender = notification.sender {
            out.append(contentsOf: #"{"id":"#.utf8)
            JSONValue.writeString(sender.id, into: &out)
            member("name", &out)
            optional(sender.name, &out)
            member("handle", &out)
            optional(sender.handle, &out)
            out.append(UInt8(ascii: "}"))
        } else {
            out.append(contentsOf: "null".utf8)
        }
        member("timestamp", &out)
        optional(notification.timestamp.map(Notification.iso8601), &out)
        member("headers", &out)
        headers(notification.headers, &out)
        member("raw_body", &out)
        JSONValue.writeString(String(decoding: notification.rawBody, as: UTF8.self), into: &out)
        member("payload", &out)
        notification.payload.write(into: &out)
        member("hipchat", &out)
        if let hipchat = notification.hipchat {
            out.append(contentsOf: #"{"sender_id":"#.utf8)
            JSONValue.writeNumber(Double(hipchat.senderID), into: &out)
            member("sender_name", &out)
            JSONValue.writeString(hipchat.senderName, into: &out)
            member("mention_name", &out)
            JSONValue.writeString(hipchat.mentionName, into: &out)
            member("room_id", &out)
            JSONValue.writeNumber(Double(hipchat.roomID), into: &out)
            member("room_name", &out)
            JSONValue.writeString(hipchat.roomName, into: &out)
            member("message", &out)
            JSONValue.writeString(hipchat.message, into: &out)
            member("date", &out)
            JSONValue.writeString(hipchat.date, into: &out)
            out.append(UInt8(ascii: "}"))
        } else {
            out.append(contentsOf: "null".utf8)
        }
        out.append(UInt8(ascii: "}"))
    }

    /// Names lowercased, repeated fields joined with ", ", as `Notification.jsonValue` has them.
    private static func headers(_ headers: HTTPHeaders, _ out: inout [UInt8]) {
        var merged: [(name: String, value: String)] = []
        merged.reserveCapacity(headers.count)
        for field in headers {
            let name = field.name.lowercased()
            if let index = merged.firstIndex(where: { $0.name == name }) {
                merged[index].value += ", " + field.value
            } else {
                merged.append((name, field.value))
            }
        }
        out.append(UInt8(ascii: "{"))
        for (index, field) in merged.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            JSONValue.writeString(field.name, into: &out)
            out.append(UInt8(ascii: ":"))
            JSONValue.writeString(field.value, into: &out)
        }
        out.append(UInt8(ascii: "}"))
    }

    private static func tokens(_ tokens: Tokens, _ out: inout [UInt8]) {
        out.append(contentsOf: #"{"global":"#.utf8)
        strings(tokens.global, &out)
        out.append(contentsOf: #","rooms":["#.utf8)
        for (index, token) in tokens.rooms.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: #"{"room":"#.utf8)
            JSONValue.writeString(token.room, into: &out)
            member("integration", &out)
            JSONValue.writeString(token.integration, into: &out)
            member("value", &out)
            JSONValue.writeString(token.value, into: &out)
            out.append(UInt8(ascii: "}"))
        }
        out.append(contentsOf: "]}".utf8)
    }

    private static func strings(_ members: [String: String], _ out: inout [UInt8]) {
        out.append(UInt8(ascii: "{"))
        for (index, (key, value)) in members.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            JSONValue.writeString(key, into: &out)
            out.append(UInt8(ascii: ":"))
            JSONValue.writeString(value, into: &out)
        }
        out.append(UInt8(ascii: "}"))
    }

    /// `,"name":`
    private static func member(_ name: StaticString, _ out: inout [UInt8]) {
        out.append(UInt8(ascii: ","))
        out.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { out.append(contentsOf: $0) }
        out.append(contentsOf: "\":".utf8)
    }

    private static func optional(_ value: String?, _ out: inout [UInt8]) {
        if let value {
            JSONValue.writeString(value, into: &out)
        } else {
            out.append(contentsOf: "null".utf8)
        }
    }
}
