import JSON

extension HTTPRequest {
    /// The body parsed as JSON.
    public func jsonBody() throws(JSONParseError) -> JSONValue {
        try JSONValue(parsing: body)
    }
}
