import Foundation
import Glibc
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
        ]
        return .json(.ok, bytes: echo.serializedBytes())
    }

    func bodyLimit(for head: HTTPRequestHead) -> Int? {
        head.path == "/small" ? 16 : limit
    }

    struct EchoError: Error {}
}

/// Starts a server on 127.0.0.1 and a free port, runs `body`, and shuts the server down.
@discardableResult
func withServer<T: Sendable>(
    _ configure: (inout HTTPServerConfiguration) -> Void = { _ in },
    handler: some HTTPHandler = EchoHandler(),
    _ body: @Sendable (HTTPServer, Int) async throws -> T
) async throws -> T {
    var configuration = HTTPServerConfiguration(host: "127.0.0.1", port: 0)
    configure(&configuration)
    let server = HTTPServer(configuration: configuration, handler: handler)
    try server.start()
    do {
        let result = try await body(server, server.localPort)
        await server.shutdown(gracePeriod: .seconds(1))
        return result
    } catch {
        await server.shutdown(gracePeriod: .seconds(1))
        throw error
    }
}

extension RawResponse {
    var json: JSONValue? { try? JSONValue(parsing: body) }
}

/// Blocks its thread (no await) on `/block`, the way a careless handler or a synchronous C call would.
struct BlockingHandler: HTTPHandler {
    func handle(_ request: HTTPRequest) async throws -> HTTPResponse {
        if request.path == "/block" { usleep(3_000_000) }
        return HTTPResponse(status: .ok, contentType: "text/plain", body: request.path)
    }
}
