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

/// An integration whose behaviour each test chooses, counting its runs.
final class TestIntegration: Integration {
    let name: String
    let summary = "platform test integration"
    let routes: [IntegrationRoute]
    private let body: @Sendable (Invocation) async throws -> Reply?
    private let counter = Atomic<Int>(0)

    init(_ name: String, routes: [String] = [], body: @escaping @Sendable (Invocation) async throws -> Reply?) {
        self.name = name
        self.routes = routes.compactMap { try? RoutePattern($0) }.map { IntegrationRoute(pattern: $0) }
        self.body = body
    }

    var runs: Int { counter.load(ordering: .relaxed) }

    func run(_ invocation: Invocation) async throws -> Reply? {
        counter.add(1, ordering: .relaxed)
        return try await body(invocation)
    }
}

/// Loads the test's integrations: `NAME.platformtest` in the integrations directory is the integration NAME.
struct TestIntegrationLoader: IntegrationLoader {
    let integrations: [String: TestIntegration]

    var kind: String { "platformtest" }

    func accepts(fileName: String) -> Bool { fileName.hasSuffix(".platformtest") }

    func load(file: URL) throws -> [any Integration] {
        let name = file.deletingPathExtension().lastPathComponent
        guard let integration = integrations[name] else { throw IntegrationError("no test integration \(name)") }
        return [integration]
    }
}

/// The real host (router, catalog, dispatcher, platform gateway, HTTPServer) on 127.0.0.1 and a free port, with the
/// given tokens and integrations. The gateway's clock can be set, so the fixtures' old Slack timestamps verify.
final class PlatformTestHost: Sendable {
    let host: HostProcess
    let root: URL

    init(
        tokens: [String], integrations: [TestIntegration], clock: @escaping @Sendable () -> Date = { Date() },
        policy: RetryPolicy = RetryPolicy(maxAttempts: 4, initialDelay: .milliseconds(50)), deadline: Duration = .seconds(10)
    ) throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("platformtest-\(UUID().uuidString)")
        let directory = root.appendingPathComponent("integrations")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for integration in integrations {
            try Data().write(to: directory.appendingPathComponent("\(integration.name).platformtest"))
        }
        let configuration = HostConfiguration(
            port: 0, bindAddress: "127.0.0.1", integrationsPath: directory, tokens: try Tokens(parsing: tokens),
            stateDirectory: root, deadline: deadline, logLevel: .debug)
        let logger = try HostLogger(
            minimumLevel: .debug, logFile: root.appendingPathComponent("host.log").path, secrets: configuration.secrets,
            echoToStderr: false)
        let platforms = PlatformGateway.Settings(
            routes: PlatformRoutes(secrets: PlatformSecrets(tokens: configuration.tokens)),
            deliverer: ReplyDeliverer(policy: policy, logger: logger), clock: clock)
        let loader = TestIntegrationLoader(integrations: Dictionary(uniqueKeysWithValues: integrations.map { ($0.name, $0) }))
        host = try HostProcess(configuration: configuration, loaders: [loader], logger: logger, platforms: platforms)
        try host.start()
    }

    func url(_ path: String) -> URL { URL(string: "http://127.0.0.1:\(host.port)\(path)")! }

    /// Everything logged so far.
    var log: String { (try? String(contentsOf: root.appendingPathComponent("host.log"), encoding: .utf8)) ?? "" }

    /// Shuts the host down and removes its files; returns everything it logged.
    @discardableResult
    func stop(gracePeriod: Duration = .seconds(1)) async -> String {
        await host.shutdown(gracePeriod: gracePeriod)
        let finalLog = log
        try? FileManager.default.removeItem(at: root)
        return finalLog
    }
}
