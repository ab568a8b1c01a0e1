import IntegrationContract
import JSON

extension Reply {
    /// The `options_json` argument of `host_api.reply`, or `nil` when every option has its default.
    var optionsJSON: [UInt8]? { options?.serializedBytes() }
}
