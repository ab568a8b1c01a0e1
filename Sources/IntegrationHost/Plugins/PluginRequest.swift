import Foundation
import HTTPServer
import JSON

/// The request document `handle` receives (its members are listed in integration_abi.h), written straight into
/// bytes with the JSON writer's primitives: no intermediate `JSONValue` tree, no `JSONEncoder`. Its
/// "notification" member is exactly `Notification.jsonValue`, the shape manifests see too.
public enum PluginRequest {
    /// The document for `invocation`, followed by a NUL byte that `count` leaves out.
    public static func encode(_ invocation: Invocation, integration: String) -> (bytes: [UInt8], count: Int) {
        var out: [UInt8] = []
        out.reserveCapacity(1024 + invocation.notification.rawBody.count * 2)
        raw(#"{"abi_version":1,"integration":"#, &out)
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
        raw(#"{"platform":"#, &out)
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
            raw(#"{"id":"#, &out)
            JSONValue.writeString(channel.id, into: &out)
            member("name", &out)
            optional(channel.name, &out)
            out.append(UInt8(ascii: "}"))
        } else {
            raw("null", &out)
        }
        member("sender", &out)
        if let sender = notification.sender {
            raw(#"{"id":"#, &out)
            JSONValue.writeString(sender.id, into: &out)
            member("name", &out)
            optional(sender.name, &out)
            member("handle", &out)
            optional(sender.handle, &out)
            out.append(UInt8(ascii: "}"))
        } else {
            raw("null", &out)
        }
        member("timestamp", &out)
        optional(notification.timestamp.map(Notification.iso8601), &out)
        member("headers", &out)
        headers(notification.headers, &out)
        member("raw_body", &out)
        JSONValue.writeString(String(decoding: notification.rawBody, as: UTF8.self), into: &out)
        member("payload", &out)
        value(notification.payload, &out)
        member("hipchat", &out)
        if let hipchat = notification.hipchat {
            raw(#"{"sender_id":"#, &out)
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
            raw("null", &out)
        }
        out.append(UInt8(ascii: "}"))
    }

    /// A JSON value, object members in storage order: the plugin parses the document, so the writer's sorting
    /// (which makes stored files deterministic) is not needed here.
    private static func value(_ value: JSONValue, _ out: inout [UInt8]) {
        switch value {
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            var first = true
            for (key, member) in members {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                JSONValue.writeString(key, into: &out)
                out.append(UInt8(ascii: ":"))
                self.value(member, &out)
            }
            out.append(UInt8(ascii: "}"))
        case .array(let elements):
            out.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                self.value(element, &out)
            }
            out.append(UInt8(ascii: "]"))
        case .string(let string):
            JSONValue.writeString(string, into: &out)
        case .number(let number):
            JSONValue.writeNumber(number, into: &out)
        case .bool(let bool):
            raw(bool ? "true" : "false", &out)
        case .null:
            raw("null", &out)
        }
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
        raw(#"{"global":"#, &out)
        strings(tokens.global, &out)
        raw(#","rooms":["#, &out)
        for (index, token) in tokens.rooms.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            raw(#"{"room":"#, &out)
            JSONValue.writeString(token.room, into: &out)
            member("integration", &out)
            JSONValue.writeString(token.integration, into: &out)
            member("value", &out)
            JSONValue.writeString(token.value, into: &out)
            out.append(UInt8(ascii: "}"))
        }
        raw("]}", &out)
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
        raw(name, &out)
        out.append(UInt8(ascii: "\""))
        out.append(UInt8(ascii: ":"))
    }

    /// Appends literal JSON text.
    private static func raw(_ text: StaticString, _ out: inout [UInt8]) {
        out.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    private static func optional(_ value: String?, _ out: inout [UInt8]) {
        if let value {
            JSONValue.writeString(value, into: &out)
        } else {
            raw("null", &out)
        }
    }
}
