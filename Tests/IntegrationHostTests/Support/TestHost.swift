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

/// A host on 127.0.0.1 and a free port, over a fresh temporary integrations directory and state directory.
final class TestHost: Sendable {
    let host: HostProcess
    let root: URL
    let integrations: URL
    let stateDirectory: URL

    init(
        files: [String: String] = [:], tokens: [String] = [], adminToken: String? = nil, stateFile: String? = nil,
        hipchatAPI: URL? = nil, deadline: Duration = .seconds(10), loaders: [any IntegrationLoader]? = nil,
        trustedProxies: [String] = [], configure: (inout HostConfiguration) -> Void = { _ in }
    ) throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("ihtest-\(UUID().uuidString)")
        integrations = root.appendingPathComponent("integrations")
        stateDirectory = root.appendingPathComponent("state")
        try FileManager.default.createDirectory(at: integrations, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: stateDirectory, withIntermediateDirectories: true)
        for (name, contents) in files {
            try contents.write(to: integrations.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        var configuration = HostConfiguration(
            port: 0, bindAddress: "127.0.0.1", integrationsPath: integrations, tokens: try Tokens(parsing: tokens),
            stateDirectory: stateDirectory, stateFile: stateFile, adminToken: adminToken, deadline: deadline,
            logLevel: .warning)
        if let hipchatAPI { configuration.hipchatAPI = hipchatAPI }
        configuration.trustedProxies = TrustedProxies(trustedProxies.map { IPRange($0)! })
        configure(&configuration)
        let logger = try HostLogger(
            minimumLevel: .debug, logFile: root.appendingPathComponent("host.log").path,
            secrets: configuration.secrets, echoToStderr: false)
        host = try HostProcess(
            configuration: configuration,
            loaders: loaders ?? (IntegrationKinds.loaders() + [ScriptedIntegrationLoader()]), logger: logger)
        try host.start()
    }

    var baseURL: String { "http://127.0.0.1:\(host.port)" }

    /// Everything logged so far.
    var log: String { (try? String(contentsOf: root.appendingPathComponent("host.log"), encoding: .utf8)) ?? "" }

    func write(_ name: String, _ contents: String) throws {
        try contents.write(to: integrations.appendingPathComponent(name), atomically: true, encoding: .utf8)
    }

    func stop() async {
        await host.shutdown(gracePeriod: .seconds(1))
        try? FileManager.default.removeItem(at: root)
    }

    /// One HTTP exchange through URLSession.
    func request(
        _ method: String = "POST", _ path: String, body: [UInt8] = [], headers: [String: String] = [:]
    ) async throws -> (status: Int, headers: [String: String], body: [UInt8]) {
        try await TestHTTP.request(method, URL(string: baseURL + path)!, body: body, headers: headers)
    }
}

enum TestHTTP {
    static let session: URLSession = {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpMaximumConnectionsPerHost = 64
        configuration.timeoutIntervalForRequest = 30
        return URLSession(configuration: configuration)
    }()

    static func request(
        _ method: String, _ url: URL, body: [UInt8] = [], headers: [String: String] = [:]
    ) async throws -> (status: Int, headers: [String: String], body: [UInt8]) {
        var request = URLRequest(url: url)
        request.httpMethod = method
        if !body.isEmpty { request.httpBody = Data(body) }
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let (data, response) = try await session.data(for: request)
        let http = response as! HTTPURLResponse
        var fields: [String: String] = [:]
        for (name, value) in http.allHeaderFields { fields[String(describing: name).lowercased()] = String(describing: value) }
        return (http.statusCode, fields, Array(data))
    }
}

/// The shared fixtures beside the repository.
enum Fixtures {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("../shared/fixtures").standardized

    static func bytes(_ path: String) throws -> [UInt8] {
        Array(try Data(contentsOf: root.appendingPathComponent(path)))
    }

    /// The HipChat room_message fixture with its message replaced.
    static func hipchat(message: String) throws -> [UInt8] {
        var json = try JSONValue(parsing: try bytes("hipchat/room_message.json"))
        guard case .object(var top) = json, case .object(var item)? = top["item"],
            case .object(var inner)? = item["message"]
        else { fatalError("fixture shape") }
        inner["message"] = .string(message)
        item["message"] = .object(inner)
        top["item"] = .object(item)
        json = .object(top)
        return json.serializedBytes()
    }
}

/// A small HTTP server on loopback that records what it receives: the "chat platform" of a test.
final class RecordingServer: HTTPHandler, Sendable {
    private let received = Mutex<[HTTPRequest]>([])
    private let server: Mutex<HTTPServer?> = Mutex(nil)
    let status: Int

    init(status: Int = 204) { self.status = status }

    func handle(_ request: HTTPRequest) async throws -> HTTPResponse {
        received.withLock { $0.append(request) }
        return HTTPResponse(status: HTTPStatus(status))
    }

    func start() throws -> URL {
        let server = HTTPServer(configuration: HTTPServerConfiguration(host: "127.0.0.1", port: 0), handler: self)
        try server.start()
        self.server.withLock { $0 = server }
        return URL(string: "http://127.0.0.1:\(server.localPort)")!
    }

    var requests: [HTTPRequest] { received.withLock { $0 } }

    /// Waits until at least `count` requests arrived (see `eventually`).
    func waitFor(_ count: Int) async -> [HTTPRequest] {
        _ = await eventually { requests.count >= count }
        return requests
    }

    func stop() async {
        let server = self.server.withLock { $0 }
        await server?.shutdown(gracePeriod: .seconds(1))
    }
}
