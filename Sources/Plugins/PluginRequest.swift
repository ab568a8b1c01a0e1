import Foundation
import HTTPTypes
import IntegrationContract
import JSON

/// The request document `handle` receives (its members are listed in integration_abi.h), written straight into
/// bytes: no intermediate `JSONValue` tree, no `JSONEncoder`. Its
/// "notification" member is exactly `Notification.jsonValue`, the shape manifests see too.
public enum PluginRequest {
    /// The document for `invocation`, followed by a NUL byte that `count` leaves out.
    public static func encode(_ invocation: Invocation, integration: String) -> (bytes: [UInt8], count: Int) {
        var out = PluginRequestWriter(capacity: 1024 + invocation.notification.rawBody.count * 2)
        out.literal(#"{"abi_version":1,"integration":"#)
        out.string(integration)
        member("request_id", &out)
        out.string(invocation.requestID)
        member("query", &out)
        out.string(invocation.query)
        member("token", &out)
        optional(invocation.token, &out)
        member("all_tokens", &out)
        tokens(invocation.allTokens, &out)
        member("route_parameters", &out)
        strings(invocation.routeParameters, &out)
        member("method", &out)
        out.string(invocation.request.method.rawValue)
        member("path", &out)
        out.string(invocation.request.path)
        member("notification", &out)
        notification(invocation.notification, &out)
        out.byte(UInt8(ascii: "}"))
        return out.finish()
    }

    private static func notification(_ notification: Notification, _ out: inout PluginRequestWriter) {
        out.literal(#"{"platform":"#)
        out.string(notification.platform.rawValue)
        member("team", &out)
        optional(notification.team, &out)
        member("command", &out)
        optional(notification.command, &out)
        member("response_url", &out)
        optional(notification.responseURL, &out)
        member("event", &out)
        optional(notification.event, &out)
        member("text", &out)
        out.string(notification.text)
        member("channel", &out)
        if let channel = notification.channel {
            out.literal(#"{"id":"#)
            out.string(channel.id)
            member("name", &out)
            optional(channel.name, &out)
            out.byte(UInt8(ascii: "}"))
        } else {
            out.literal("null")
        }
        member("sender", &out)
        if let sender = notification.sender {
            out.literal(#"{"id":"#)
            out.string(sender.id)
            member("name", &out)
            optional(sender.name, &out)
            member("handle", &out)
            optional(sender.handle, &out)
            out.byte(UInt8(ascii: "}"))
        } else {
            out.literal("null")
        }
        member("timestamp", &out)
        optional(notification.timestamp.map(Notification.iso8601), &out)
        member("headers", &out)
        headers(notification.headers, &out)
        member("raw_body", &out)
        if notification.payloadIsRawBody {
            // The body parsed as JSON, so it is valid UTF-8 and a valid document: no decoding, no re-serializing.
            out.string(utf8: notification.rawBody)
            member("payload", &out)
            out.json(notification.rawBody)
        } else {
            out.string(String(decoding: notification.rawBody, as: UTF8.self))
            member("payload", &out)
            out.value(notification.payload)
        }
        member("hipchat", &out)
        if let hipchat = notification.hipchat {
            out.literal(#"{"sender_id":"#)
            out.number(Double(hipchat.senderID))
            member("sender_name", &out)
            out.string(hipchat.senderName)
            member("mention_name", &out)
            out.string(hipchat.mentionName)
            member("room_id", &out)
            out.number(Double(hipchat.roomID))
            member("room_name", &out)
            out.string(hipchat.roomName)
            member("message", &out)
            out.string(hipchat.message)
            member("date", &out)
            out.string(hipchat.date)
            out.byte(UInt8(ascii: "}"))
        } else {
            out.literal("null")
        }
        member("verified_by", &out)
        optional(notification.verifiedBy?.rawValue, &out)
        out.byte(UInt8(ascii: "}"))
    }

    /// Names lowercased, repeated fields joined with ", ", as `Notification.jsonValue` has them.
    private static func headers(_ headers: HTTPHeaders, _ out: inout PluginRequestWriter) {
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
        out.byte(UInt8(ascii: "{"))
        for (index, field) in merged.enumerated() {
            if index > 0 { out.byte(UInt8(ascii: ",")) }
            out.string(field.name)
            out.byte(UInt8(ascii: ":"))
            out.string(field.value)
        }
        out.byte(UInt8(ascii: "}"))
    }

    private static func tokens(_ tokens: Tokens, _ out: inout PluginRequestWriter) {
        out.literal(#"{"global":"#)
        strings(tokens.global, &out)
        out.literal(#","rooms":["#)
        for (index, token) in tokens.rooms.enumerated() {
            if index > 0 { out.byte(UInt8(ascii: ",")) }
            out.literal(#"{"room":"#)
            out.string(token.room)
            member("integration", &out)
            out.string(token.integration)
            member("value", &out)
            out.string(token.value)
            out.byte(UInt8(ascii: "}"))
        }
        out.literal("]}")
    }

    private static func strings(_ members: [String: String], _ out: inout PluginRequestWriter) {
        out.byte(UInt8(ascii: "{"))
        for (index, (key, value)) in members.enumerated() {
            if index > 0 { out.byte(UInt8(ascii: ",")) }
            out.string(key)
            out.byte(UInt8(ascii: ":"))
            out.string(value)
        }
        out.byte(UInt8(ascii: "}"))
    }

    /// `,"name":`
    private static func member(_ name: StaticString, _ out: inout PluginRequestWriter) {
        out.byte(UInt8(ascii: ","))
        out.byte(UInt8(ascii: "\""))
        out.literal(name)
        out.byte(UInt8(ascii: "\""))
        out.byte(UInt8(ascii: ":"))
    }

    private static func optional(_ value: String?, _ out: inout PluginRequestWriter) {
        if let value {
            out.string(value)
        } else {
            out.literal("null")
        }
    }
}
