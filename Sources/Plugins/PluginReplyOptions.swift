import IntegrationContract
import JSON

/// The `options_json` of `host_api.reply`: color, notify, visibility, json, status, headers.
enum PluginReplyOptions {
    /// Copies the known members of `options` into `reply`; `false` if one of them has the wrong type or value.
    /// Unknown members are ignored, so newer plugins still work with this host.
    static func apply(_ options: [String: JSONValue], to reply: inout Reply) -> Bool {
        for (key, value) in options where !value.isNull {
            switch key {
            case "color":
                guard let name = value.stringValue, let color = Reply.Color(rawValue: name) else { return false }
                reply.color = color
            case "notify":
                guard let notify = value.boolValue else { return false }
                reply.notify = notify
            case "visibility":
                guard let name = value.stringValue, let visibility = Reply.Visibility(rawValue: name) else {
                    return false
                }
                reply.visibility = visibility
            case "json":
                reply.json = value
            case "status":
                guard let status = value.intValue, (100...599).contains(status) else { return false }
                reply.status = status
            case "headers":
                guard let headers = value.objectValue else { return false }
                for (name, value) in headers.sorted(by: { $0.key < $1.key }) {
                    guard let text = value.stringValue, isToken(name), !text.utf8.contains(where: isControl) else {
                        return false
                    }
                    reply.headers.add(name, text)
                }
            default:
                continue
            }
        }
        return true
    }

    /// An HTTP header name: RFC 9110 token characters only, so a plugin cannot split a response.
    private static func isToken(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 256
            && name.utf8.allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                    UInt8(ascii: "0")...UInt8(ascii: "9"):
                    return true
                default:
                    return "!#$%&'*+-.^_`|~".utf8.contains(byte)
                }
            }
    }

    private static func isControl(_ byte: UInt8) -> Bool { byte < 0x20 || byte == 0x7F }
}
