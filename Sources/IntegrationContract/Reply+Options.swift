import JSON

/// A reply's options as the plugin ABI carries them (`options_json` of `host_api.reply`, integration_abi.h):
/// `color`, `notify`, `visibility`, `json`, `status`, `headers`. The SDK writes them, the host reads them.
extension Reply {
    /// The options that differ from their defaults, as a JSON object; `nil` when none does.
    public var options: JSONValue? {
        var options: [String: JSONValue] = [:]
        if let color { options["color"] = .string(color.rawValue) }
        if notify { options["notify"] = .bool(true) }
        if let visibility { options["visibility"] = .string(visibility.rawValue) }
        if let json { options["json"] = json }
        if let status { options["status"] = .number(Double(status)) }
        if headers.count > 0 {
            options["headers"] = .object(Dictionary(headers.map { ($0.name, JSONValue.string($0.value)) }) { _, last in last })
        }
        return options.isEmpty ? nil : .object(options)
    }

    /// Copies the known members of `options` into this reply; `false` if one of them has the wrong type or value.
    /// Unknown members are ignored, so newer plugins still work with this host.
    public mutating func apply(options: [String: JSONValue]) -> Bool {
        for (key, value) in options where !value.isNull {
            switch key {
            case "color":
                guard let name = value.stringValue, let color = Color(rawValue: name) else { return false }
                self.color = color
            case "notify":
                guard let notify = value.boolValue else { return false }
                self.notify = notify
            case "visibility":
                guard let name = value.stringValue, let visibility = Visibility(rawValue: name) else {
                    return false
                }
                self.visibility = visibility
            case "json":
                self.json = value
            case "status":
                guard let status = value.intValue, (100...599).contains(status) else { return false }
                self.status = status
            case "headers":
                guard let headers = value.objectValue else { return false }
                for (name, value) in headers.sorted(by: { $0.key < $1.key }) {
                    guard let text = value.stringValue, Reply.isToken(name), !text.utf8.contains(where: Reply.isControl) else {
                        return false
                    }
                    self.headers.add(name, text)
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
