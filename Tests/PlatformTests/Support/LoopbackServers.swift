import Foundation
import HTTPServer
import HostApp
import HostCore
import IntegrationContract
import Logging
import Manifests
import Platforms
import Plugins
import JSON
import Synchronization
#if canImport(FoundationNetworking)
import FoundationNetworking
import TestSupport
#endif

/// The project's HTTP server on 127.0.0.1, on a free port, answering with `handler`.
final class LoopbackServer: Sendable {
    let server: HTTPServer
    let port: Int

    init(_ handler: some HTTPHandler) throws {
        server = HTTPServer(configuration: HTTPServerConfiguration(host: "127.0.0.1", port: 0), handler: handler)
        try server.start()
        port = server.localPort
    }

    func url(_ path: String) -> URL { URL(string: "http://127.0.0.1:\(port)\(path)")! }

    func stop() async { await server.shutdown(gracePeriod: .seconds(1)) }
}

/// Stands in for Slack's response_url and chat APIs: records every POST and answers with the answers (or statuses)
/// it is given in turn, then 200 `{"ok":true}`.
final class RecordingHandler: HTTPHandler {
    struct Received: Sendable {
        let path: String
        let headers: HTTPHeaders
        let body: [UInt8]
        let at: ContinuousClock.Instant
        var json: JSONValue? { try? JSONValue(parsing: body) }
    }

    /// One scripted answer: a status, a JSON body and extra headers (`Retry-After`).
    struct Answer: Sendable {
        var status: Int = 200
        var body: String = #"{"ok":true}"#
        var headers: [String: String] = [:]
    }

    private let state = Mutex<(received: [Received], answers: [Answer])>(([], []))

    init(statuses: [Int] = []) { state.withLock { $0.answers = statuses.map { Answer(status: $0) } } }

    init(answers: [Answer]) { state.withLock { $0.answers = answers } }

    func handle(_ request: HTTPRequest) async throws -> HTTPResponse {
        let answer = state.withLock { state -> Answer in
            state.received.append(Received(path: request.path, headers: request.headers, body: request.body, at: .now))
            return state.answers.isEmpty ? Answer() : state.answers.removeFirst()
        }
        var response = HTTPResponse(status: HTTPStatus(answer.status), contentType: "application/json", body: answer.body)
        for (name, value) in answer.headers { response.headers.set(name, value) }
        return response
    }

    var received: [Received] { state.withLock { $0.received } }

    /// Waits until `count` requests have arrived (see `eventually`).
    func waitFor(_ count: Int) async -> [Received] {
        _ = await eventually { received.count >= count }
        return received
    }
}

/// A small URLSession client for the tests.
enum Client {
    struct Response {
        let status: Int
        let headers: [String: String]
        let body: [UInt8]
        var json: JSONValue? { try? JSONValue(parsing: body) }
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    static let session: URLSession = {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = 30
        return URLSession(configuration: configuration)
    }()

    static func post(_ url: URL, headers: [String: String] = [:], body: String) async throws -> Response {
        try await send("POST", url, headers: headers, body: body)
    }

    static func get(_ url: URL, headers: [String: String] = [:]) async throws -> Response {
        try await send("GET", url, headers: headers, body: nil)
    }

    static func send(_ method: String, _ url: URL, headers: [String: String] = [:], body: String?) async throws -> Response {
        var request = URLRequest(url: url)
        request.httpMethod = method
        request.httpBody = body.map { Data($0.utf8) }
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let (data, response) = try await session.data(for: request)
        let http = response as! HTTPURLResponse
        var fields: [String: String] = [:]
        for (name, value) in http.allHeaderFields {
            if let name = name as? String, let value = value as? String { fields[name.lowercased()] = value }
        }
        return Response(status: http.statusCode, headers: fields, body: Array(data))
    }
}
