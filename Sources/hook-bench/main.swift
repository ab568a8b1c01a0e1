// hook-bench: the benchmark server. Answers POST /hook with {"message":"ok"}, anything else with 404.
// Usage: hook-bench [--port N] [--host ADDR] [--loops N] [--handler-threads N] [--max-connections N] [--max-connections-per-peer N]
import Glibc
import HTTPServer

struct HookHandler: HTTPHandler {
    static let reply = HTTPResponse.json(.ok, bytes: Array(#"{"message":"ok"}"#.utf8))

    func handle(_ request: HTTPRequest) async throws -> HTTPResponse {
        guard request.method == .post, request.path == "/hook" else { return .error(.notFound, "not found") }
        return Self.reply
    }
}

var port = 18090
var host = "127.0.0.1"
var loops = 1
var handlerThreads = 1
var maxConnections = 10_000
var maxConnectionsPerPeer = HTTPServerConfiguration.defaultMaxConnectionsPerPeer
var arguments = CommandLine.arguments.dropFirst()
while let argument = arguments.popFirst() {
    switch argument {
    case "--port": port = arguments.popFirst().flatMap { Int($0) } ?? port
    case "--host": host = arguments.popFirst() ?? host
    case "--loops": loops = arguments.popFirst().flatMap { Int($0) } ?? loops
    case "--handler-threads": handlerThreads = arguments.popFirst().flatMap { Int($0) } ?? handlerThreads
    case "--max-connections": maxConnections = arguments.popFirst().flatMap { Int($0) } ?? maxConnections
    case "--max-connections-per-peer":
        maxConnectionsPerPeer = arguments.popFirst().flatMap { Int($0) } ?? maxConnectionsPerPeer
    default:
        print("usage: hook-bench [--port N] [--host ADDR] [--loops N] [--handler-threads N] [--max-connections N] [--max-connections-per-peer N]")
        exit(2)
    }
}

let server = HTTPServer(
    configuration: HTTPServerConfiguration(
        host: host, port: port, eventLoopCount: loops, handlerThreadCount: handlerThreads,
        maxConnections: maxConnections, maxConnectionsPerPeer: maxConnectionsPerPeer),
    handler: HookHandler())
do {
    try server.start()
} catch {
    print("hook-bench: \(error)")
    exit(1)
}
print("hook-bench listening on \(host):\(server.localPort)")
signal(SIGTERM) { _ in exit(0) }
while true { pause() }
