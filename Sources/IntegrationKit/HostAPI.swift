import CIntegrationABI

/// The host's `integration_host_api` and the `host_ctx` of the running call: valid only during that call.
struct HostAPI {
    /// The table, checked: version 1, complete, every function present.
    let api: integration_host_api
    let context: UnsafeMutableRawPointer?

    /// `nil` if the table is from another ABI version or misses a function.
    init?(_ table: UnsafePointer<integration_host_api>?, context: UnsafeMutableRawPointer?) {
        guard let table, table.pointee.abi_version == UInt32(INTEGRATION_ABI_VERSION),
            Int(table.pointee.struct_size) >= MemoryLayout<integration_host_api>.size
        else { return nil }
        let api = table.pointee
        guard api.log != nil, api.storage_get != nil, api.storage_set != nil, api.storage_delete != nil,
            api.storage_keys != nil, api.storage_increment != nil, api.storage_compare_and_set != nil,
            api.reply != nil, api.token != nil, api.error != nil
        else { return nil }
        self.api = api
        self.context = context
    }

    /// Calls `body` with `text` as pointer and length.
    static func withBytes<R>(_ text: String, _ body: (UnsafePointer<CChar>?, Int) -> R) -> R {
        var text = text
        return text.withUTF8 { utf8 in
            utf8.withMemoryRebound(to: CChar.self) { body($0.baseAddress, $0.count) }
        }
    }

    /// Calls `body` with `bytes` as pointer and length.
    static func withBytes<R>(_ bytes: [UInt8], _ body: (UnsafePointer<CChar>?, Int) -> R) -> R {
        bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { body($0.baseAddress, $0.count) }
        }
    }

    /// The bytes of a host-owned string, copied.
    static func bytes(_ string: integration_string) -> [UInt8] {
        guard let data = string.data else { return [] }
        return Array(UnsafeRawBufferPointer(start: data, count: string.length))
    }

    func log(_ level: Int32, _ message: String) {
        HostAPI.withBytes(message) { api.log!(context, level, $0, $1) }
    }

    func error(_ message: String) {
        HostAPI.withBytes(message) { api.error!(context, $0, $1) }
    }

    func reply(_ reply: Reply) -> Int32 {
        let send = api.reply!
        return HostAPI.withBytes(reply.text) { text, textLength in
            guard let options = reply.optionsJSON else { return send(context, text, textLength, nil, 0) }
            return HostAPI.withBytes(options) { send(context, text, textLength, $0, $1) }
        }
    }
}
