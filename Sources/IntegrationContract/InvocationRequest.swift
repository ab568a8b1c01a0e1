import HTTPTypes
import JSON

/// The HTTP request that carried a notification, as plain values (no connection, no server types): what manifest
/// rules match on and what a plugin's request names.
public struct InvocationRequest: Sendable {
    public var method: HTTPMethod
    /// The percent-decoded path (`/hipchat`, `/deploy/prod`).
    public var path: String
    /// The query string as sent, without `?`.
    public var rawQuery: String
    public var headers: HTTPHeaders
    /// The body exactly as received.
    public var body: [UInt8]
    /// Who sent it.
    public var peer: PeerAddress

    public init(
        method: HTTPMethod, path: String, rawQuery: String = "", headers: HTTPHeaders = HTTPHeaders(),
        body: [UInt8] = [], peer: PeerAddress = PeerAddress(bytes: [127, 0, 0, 1], port: 0)
    ) {
        self.method = method
        self.path = path
        self.rawQuery = rawQuery
        self.headers = headers
        self.body = body
        self.peer = peer
    }

    /// The query parameters, decoded, in order.
    public var queryItems: [(name: String, value: String)] { FormDecoding.pairs(rawQuery) }

    /// The first query parameter named `name`.
    public func queryParameter(_ name: String) -> String? {
        queryItems.first { $0.name == name }?.value
    }

    /// The body decoded as `application/x-www-form-urlencoded` fields, in order.
    public var formFields: [(name: String, value: String)] {
        FormDecoding.pairs(String(decoding: body, as: UTF8.self))
    }

    /// The body parsed as JSON.
    public func jsonBody() throws(JSONParseError) -> JSONValue {
        try JSONValue(parsing: body)
    }
}
