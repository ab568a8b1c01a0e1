/// Requests and responses are written in the HTTP vocabulary (`HTTPMethod`, `HTTPHeaders`, `HTTPStatus`,
/// `PeerAddress`), so a server user gets it with `import HTTPServer` alone.
@_exported import HTTPTypes
