import HTTPServer
import JSON

/// Echoes what the server parsed, as JSON: method, target, path, rawQuery, version, headers, body.
struct EchoHandler: HTTPHandler {
    var limit: Int?

    func handle(_ request: HTTPRequest) async throws -> HTTPResponse {
        if request.path == "/throw" { throw EchoError() }
        if request.path == "/slow" { try await Task.sleep(for: .milliseconds(500)) }
        if request.path == "/slower" { try await Task.sleep(for: .milliseconds(1500)) }
        if request.path == "/stall" { try await Task.sleep(for: .seconds(5)) }
        if request.path == "/huge" { return HTTPResponse(body: [UInt8](repeating: 104, count: 48 * 1024 * 1024)) }
        let headers: [JSONValue] = request.headers.map { .array([.string($0.name), .string($0.value)]) }
        let echo: JSONValue = [
            "method": .string(request.method.rawValue),
            "target": .string(request.head.target),
            "path": .string(request.path),
            "rawQuery": .string(request.head.rawQuery),
            "version": .string(request.version.description),
            "headers": .array(headers),
            "body": .string(String(decoding: request.body, as: UTF8.self)),
            "bodyLength": .number(Double(request.body.count)),
            "peer": .string(request.peer.host),
            "peerIsLoopback": .bool(request.peer.isLoopback),
        ]
        return .json(.ok, bytes: echo.serializedBytes())
    }

    func bodyLimit(for head: HTTPRequestHead) -> Int? {
        head.path == "/small" ? 16 : limit
    }

    struct EchoError: Error {}
}
