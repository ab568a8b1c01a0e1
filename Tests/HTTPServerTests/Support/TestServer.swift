import Foundation
import HTTPServer

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
