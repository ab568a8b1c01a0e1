import Foundation
import HostApp
import HostCore
import IntegrationContract
import Logging
import Manifests
import Platforms
import Plugins

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The real host on 127.0.0.1 and a free port, with the registered integration kinds, over a temporary
/// integrations directory.
final class PluginTestHost: Sendable {
    let host: HostProcess
    let root: URL
    let integrations: URL

    /// - Parameters:
    ///   - mode: isolated (the default, workers started from the built `integration-host`) or in-process.
    ///   - isolation: changes to the workers' settings (fewer workers, a lower crash limit).
    init(
        plugins: [String: URL] = [:], files: [String: String] = [:], tokens: [String] = [],
        deadline: Duration = .seconds(10), mode: PluginSettings.Mode = .isolated,
        isolation: (inout PluginIsolation) -> Void = { _ in }
    ) throws {
        root = try PluginFixtures.temporaryDirectory()
        integrations = root.appendingPathComponent("integrations")
        try FileManager.default.createDirectory(at: integrations, withIntermediateDirectories: true)
        for (name, source) in plugins {
            try FileManager.default.copyItem(at: source, to: integrations.appendingPathComponent(name))
        }
        for (name, contents) in files {
            try contents.write(to: integrations.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        var settings = PluginSettings(mode: mode)
        settings.isolation.workerExecutable = PluginFixtures.workerExecutable.path
        isolation(&settings.isolation)
        let configuration = HostConfiguration(
            port: 0, bindAddress: "127.0.0.1", integrationsPath: integrations, tokens: try Tokens(parsing: tokens),
            stateDirectory: root, deadline: deadline, plugins: settings, logLevel: .debug)
        let logger = try HostLogger(
            minimumLevel: .debug, logFile: root.appendingPathComponent("host.log").path,
            secrets: configuration.secrets, echoToStderr: false)
        host = try HostProcess(configuration: configuration, logger: logger)
        try host.start()
    }

    /// Runs `body` against a fresh host and stops it (removing its directory) afterwards, also when `body` throws.
    static func with(
        plugins: [String: URL] = [:], mode: PluginSettings.Mode = .isolated, _ body: (PluginTestHost) async throws -> Void
    ) async throws {
        let host = try PluginTestHost(plugins: plugins, mode: mode)
        do {
            try await body(host)
        } catch {
            await host.stop()
            throw error
        }
        await host.stop()
    }

    /// Everything logged so far.
    var log: String { (try? String(contentsOf: root.appendingPathComponent("host.log"), encoding: .utf8)) ?? "" }

    func stop() async {
        await host.shutdown(gracePeriod: .seconds(1))
        try? FileManager.default.removeItem(at: root)
    }

    private static let session: URLSession = {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpMaximumConnectionsPerHost = 32
        configuration.timeoutIntervalForRequest = 30
        return URLSession(configuration: configuration)
    }()

    /// What came back: status, headers (names lowercased) and body.
    struct Response {
        let status: Int
        let headers: [String: String]
        let body: String
        var json: String { body }
        var requestID: String? { headers["x-request-id"] }
    }

    /// POSTs a HipChat room_message saying `message` to `/hipchat`.
    func hipchat(_ message: String) async throws -> Response {
        try await request("POST", "/hipchat", body: try PluginFixtures.hipchatBody(message: message))
    }

    func request(_ method: String, _ path: String, body: [UInt8] = []) async throws -> Response {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(host.port)\(path)")!)
        request.httpMethod = method
        if !body.isEmpty {
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.httpBody = Data(body)
        }
        let (data, response) = try await PluginTestHost.session.data(for: request)
        let http = response as! HTTPURLResponse
        var headers: [String: String] = [:]
        for (name, value) in http.allHeaderFields {
            headers[String(describing: name).lowercased()] = String(describing: value)
        }
        return Response(status: http.statusCode, headers: headers, body: String(decoding: data, as: UTF8.self))
    }
}
