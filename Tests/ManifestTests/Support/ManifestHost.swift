import Foundation
import HTTPServer
import JSON

@testable import HostApp
@testable import HostCore
@testable import IntegrationContract
@testable import Logging
@testable import Manifests
@testable import Platforms
@testable import Plugins

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The real host on 127.0.0.1 and a free port, serving the shipped `integrations/` directory with the registered
/// loaders: what `swift run integration-host PORT ./integrations` runs.
final class ManifestHost: Sendable {
    let server: HostProcess
    let stateDirectory: URL

    /// `regexPool`: the pool the host's manifests match on (by default the process's shared one);
    /// `webhookBodyLimit`: `--max-body` in bytes.
    init(
        directory: URL = Fixtures.integrationsDirectory, tokens: [String] = [], maxExec: Int = ExecSlots.defaultLimit,
        regexPool: RegexPool = .shared, deadline: Duration = .seconds(10),
        webhookBodyLimit: Int = WebhookRoutes.standardBodyLimit
    ) throws {
        stateDirectory = Fixtures.temporaryDirectory()
        let configuration = HostConfiguration(
            port: 0, bindAddress: "127.0.0.1", integrationsPath: directory, tokens: try Tokens(parsing: tokens),
            stateDirectory: stateDirectory, deadline: deadline, maxExec: maxExec,
            webhookBodyLimit: webhookBodyLimit, logLevel: .warning)
        let logger = try HostLogger(
            minimumLevel: .debug, logFile: stateDirectory.appendingPathComponent("host.log").path,
            secrets: configuration.secrets, echoToStderr: false)
        let runtime = ManifestRuntime(execSlots: ExecSlots(limit: maxExec), regexPool: regexPool)
        server = try HostProcess(
            configuration: configuration, loaders: IntegrationKinds.loaders(manifests: runtime), logger: logger)
        try server.start()
    }

    var log: String { (try? String(contentsOf: stateDirectory.appendingPathComponent("host.log"), encoding: .utf8)) ?? "" }

    func stop() async {
        await server.shutdown(gracePeriod: .seconds(1))
    }

    struct Response {
        let status: Int
        let headers: [String: String]
        let body: [UInt8]
        var text: String { String(decoding: body, as: UTF8.self) }
        var json: JSONValue? { try? JSONValue(parsing: body) }
    }

    func request(
        _ method: String = "POST", _ path: String, body: [UInt8] = [], headers: [String: String] = [:]
    ) async throws -> Response {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(server.port)\(path)")!)
        request.httpMethod = method
        if !body.isEmpty { request.httpBody = Data(body) }
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let (data, response) = try await ManifestHost.session.data(for: request)
        let http = response as! HTTPURLResponse
        var fields: [String: String] = [:]
        for (name, value) in http.allHeaderFields { fields[String(describing: name).lowercased()] = String(describing: value) }
        return Response(status: http.statusCode, headers: fields, body: Array(data))
    }

    /// POST /hipchat with a room_message carrying `message`, from Ada in room 1234; with a HipChat Connect JWT
    /// signed with `secret` in `signed_request`, as HipChat sends it, when one is given.
    func hipchat(_ message: String, signedWith secret: String? = nil) async throws -> Response {
        let body: JSONValue = [
            "event": "room_message",
            "item": [
                "message": [
                    "date": "2026-11-23T17:00:00.000000+00:00", "message": .string(message),
                    "from": ["id": 7, "name": "Ada Lovelace", "mention_name": "ada"],
                ],
                "room": ["id": 1234, "name": "Ops"],
            ],
        ]
        let query = secret.map { secret in
            let now = Date().timeIntervalSince1970
            let claims: JSONValue = ["iss": "test-install", "sub": "7", "iat": .number(now), "exp": .number(now + 180)]
            return "?signed_request=" + HipChatJWT.token(claims: claims, secret: secret)
        } ?? ""
        return try await request(
            "POST", "/hipchat" + query, body: body.serializedBytes(), headers: ["Content-Type": "application/json"])
    }

    static let session: URLSession = {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = 30
        // Concurrent tests mean concurrent requests (the default is 6 connections per host).
        configuration.httpMaximumConnectionsPerHost = 64
        return URLSession(configuration: configuration)
    }()
}
