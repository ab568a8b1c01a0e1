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

/// Builds invocations and manifests for tests, the way the host would hand them to an integration.
enum Fixtures {
    /// The repository root, found from this file's path.
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let integrationsDirectory = repositoryRoot.appendingPathComponent("integrations")
    /// The shared fixtures beside the repository (`../shared/fixtures`).
    static let sharedFixtures = repositoryRoot.appendingPathComponent("../shared/fixtures").standardized

    /// A manifest from JSON text, as if read from `fileName` in `directory`.
    /// `runtime`: by default the process's shared exec slots and regex pool.
    static func manifest(
        _ text: String, fileName: String = "test.json", directory: URL = integrationsDirectory,
        runtime: ManifestRuntime = ManifestRuntime()
    ) throws -> ManifestIntegration {
        try ManifestIntegration(json: try JSONValue(parsing: text), fileName: fileName, directory: directory, runtime: runtime)
    }

    /// The problems a manifest is rejected with, as printed (`file: path: reason` lines).
    static func problems(_ text: String, fileName: String = "test.json", directory: URL = integrationsDirectory) -> [String] {
        do {
            _ = try manifest(text, fileName: fileName, directory: directory)
            return []
        } catch let error as ManifestError {
            return error.description.components(separatedBy: "\n")
        } catch {
            return ["not a manifest error: \(error)"]
        }
    }

    /// A request as the server would parse it.
    static func request(
        method: HTTPMethod = .post, path: String = "/hooks/test", query: String = "", headers: HTTPHeaders = [:],
        body: [UInt8] = [], peer: PeerAddress = PeerAddress(bytes: [127, 0, 0, 1], port: 40000)
    ) -> HTTPRequest {
        let target = query.isEmpty ? path : "\(path)?\(query)"
        let head = HTTPRequestHead(
            method: method, target: target, path: path, rawQuery: query, version: .http1_1, headers: headers)
        return HTTPRequest(head: head, body: body, peer: peer)
    }

    /// An invocation with sensible defaults; every part can be replaced.
    static func invocation(
        query: String = "", text: String? = nil, command: String? = "test", platform: IntegrationContract.Platform = .hipchat,
        sender: IntegrationContract.Notification.Sender? = IntegrationContract.Notification.Sender(id: "42", name: "Ada Lovelace", handle: "ada"),
        channel: IntegrationContract.Notification.Channel? = IntegrationContract.Notification.Channel(id: "1234", name: "Ops"),
        payload: JSONValue = .null, request: HTTPRequest = request(), routeParameters: [String: String] = [:],
        tokens: [String] = [], token: String? = nil, storage: Storage = Storage(), logger: HostLogger = quietLogger(),
        integration: String = "test", verifiedBy: SenderProof? = nil
    ) -> Invocation {
        var notification = IntegrationContract.Notification(
            platform: platform, channel: channel, sender: sender, text: text ?? "/\(command ?? "test") \(query)",
            command: command, headers: request.headers, rawBody: request.body, payload: payload)
        notification.verifiedBy = verifiedBy
        return Invocation(
            notification: notification, query: query, allTokens: try! Tokens(parsing: tokens), token: token,
            storage: storage.namespace(integration),
            log: IntegrationLogger(integration: integration, requestID: "req-1", host: logger), requestID: "req-1",
            request: InvocationRequest(request), routeParameters: routeParameters)
    }

    static func quietLogger() -> HostLogger {
        try! HostLogger(minimumLevel: .warning, echoToStderr: false)
    }

    /// A logger writing to a fresh file, and that file, to check what was logged.
    static func recordingLogger() -> (HostLogger, URL) {
        let file = temporaryDirectory().appendingPathComponent("host.log")
        return (try! HostLogger(minimumLevel: .debug, logFile: file.path, echoToStderr: false), file)
    }

    static func temporaryDirectory() -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("manifest-tests-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Writes an executable script into `directory`.
    @discardableResult
    static func script(_ name: String, _ body: String, in directory: URL) -> URL {
        let url = directory.appendingPathComponent(name)
        try! body.write(to: url, atomically: true, encoding: .utf8)
        chmod(url.path, 0o755)
        return url
    }
}
