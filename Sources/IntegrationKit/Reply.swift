import IntegrationContract
import JSON

extension Reply {
    /// The `options_json` argument of `host_api.reply`, or `nil` when every option has its default.
    var optionsJSON: [UInt8]? {
        var options: [String: JSONValue] = [:]
        if let color { options["color"] = .string(color.rawValue) }
        if notify { options["notify"] = .bool(true) }
        if visibility != .inChannel { options["visibility"] = .string(visibility.rawValue) }
        if let json { options["json"] = json }
        if let status { options["status"] = .number(Double(status)) }
        if headers.count > 0 {
            options["headers"] = .object(Dictionary(headers.map { ($0.name, JSONValue.string($0.value)) }) { _, last in last })
        }
        return options.isEmpty ? nil : JSONValue.object(options).serializedBytes()
    }
}
