extension HTTPRequest {
    /// The query parameters, decoded, in order.
    public var queryItems: [(name: String, value: String)] { FormDecoding.pairs(head.rawQuery) }

    /// The first query parameter named `name`.
    public func queryParameter(_ name: String) -> String? {
        queryItems.first { $0.name == name }?.value
    }

    /// The body decoded as `application/x-www-form-urlencoded` fields, in order.
    public var formFields: [(name: String, value: String)] {
        FormDecoding.pairs(String(decoding: body, as: UTF8.self))
    }
}
