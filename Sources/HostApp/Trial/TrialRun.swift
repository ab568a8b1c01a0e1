import Foundation
import HTTPServer
import HTTPTypes
import HostCore
import IntegrationContract
import Logging
import Platforms
import Synchronization

/// `integration-host test`: loads a directory as the host would and runs one integration once, in process and
/// with no listener, through the host's own parts (catalog, dispatcher, platform adapters, router), then reports
/// what happened (`TrialReport`). Exit status 0 when the integration answered, 1 when it failed or nothing
/// matched, 2 for a storage file that cannot be used.
enum TrialRun {
    /// The request id of the run, in its log lines.
    static let requestID = "test"
    /// Who the request comes from: loopback, as a local curl would.
    static let peer = PeerAddress(bytes: [127, 0, 0, 1], port: 0)

    static func main(_ options: TrialOptions) async -> Int32 {
        let collected = CollectedLines()
        let configuration = HostConfiguration(
            port: 1, integrationsPath: options.directory, tokens: options.tokens, deadline: options.deadline,
            plugins: options.plugins, logLevel: options.logLevel)
        let dependencies: HostDependencies
        do {
            let secrets = PlatformSecrets(configuration: configuration)
            let logger = try HostLogger(
                minimumLevel: options.logLevel, secrets: configuration.secrets + secrets.redactions, echoToStderr: false,
                lineSink: collected.append)
            dependencies = try HostDependencies(configuration: configuration, logger: logger)
        } catch {
            FileHandle.standardError.write(Data("integration-host: \(error)\n".utf8))
            return 1
        }
        if let file = options.stateFile, FileManager.default.fileExists(atPath: file) {
            do {
                let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: file)))
                dependencies.storage.replaceAll(with: try StorageFile.decode(bytes))
            } catch {
                FileHandle.standardError.write(Data("integration-host: --state \(file): \(error)\n".utf8))
                return 2
            }
        }
        let problems = dependencies.catalog.rescan().map(\.description)
        collected.removeAll()
        let before = dependencies.storage.snapshot()
        let trace = TraceRecorder()
        var report: TrialReport
        switch options.request {
        case .command(let name, let query, let platform, let room, let verified):
            report = await runCommand(
                name, query: query, platform: platform, room: room, verified: verified, dependencies, trace: trace)
        case .route(let method, let target, let headers, let bodyFile):
            report = await runRoute(method, target, headers: headers, bodyFile: bodyFile, dependencies, trace: trace)
        }
        let background = dependencies.background
        background.close()
        if !(await background.waitForAll(upTo: .seconds(5))) {
            background.cancelAll()
            _ = await background.waitForAll(upTo: .seconds(2))
        }
        report.problems = problems
        if report.integration != nil, report.trace != nil {
            report.trace = trace.recorded.lines.map(dependencies.logger.redacted)
        }
        report.storage = TrialReport.changes(from: before, to: dependencies.storage.snapshot())
        if options.saveState, let file = options.stateFile {
            do {
                try StorageFile.writeAtomically(
                    StorageFile.encode(dependencies.storage.snapshot()), to: URL(fileURLWithPath: file))
                report.savedTo = file
            } catch {
                dependencies.logger.log(.error, "saving --state \(file) failed: \(error)")
                report.answered = false
            }
        }
        report.log = collected.lines
        print(report.text)
        return report.answered ? 0 : 1
    }

    /// `/COMMAND QUERY` from a chat, run once; the reply rendered by `platform`'s adapter, or by every chat
    /// platform's when none is given (the run itself sees a HipChat notification).
    private static func runCommand(
        _ command: String, query: String, platform: TrialOptions.Platform?, room: String, verified: Bool,
        _ dependencies: HostDependencies, trace: TraceRecorder
    ) async -> TrialReport {
        let origin = platform ?? .hipchat
        var report = TrialReport(request: "/\(command) \(query) from \(origin.rawValue), room \(room)", answered: false)
        let adapter = chatAdapter(origin, dependencies)
        var event: PlatformEvent
        do throws(IntegrationError) {
            event = try adapter.decode(ChatRequest.make(origin, command: command, query: query, room: room))
        } catch {
            report.answers = [TrialReport.Answer(label: origin.rawValue, response: .error(error))]
            return report
        }
        event.notification.verifiedBy = verified ? ChatRequest.proof(origin) : nil
        guard let integration = dependencies.catalog.integration(forCommand: event.target.name) else {
            report.answers = [TrialReport.Answer(label: origin.rawValue, response: adapter.unknownTarget(for: event))]
            return report
        }
        report.integration = describe(integration.name, dependencies)
        report.trace = recordsTrace(integration.name, dependencies) ? [] : nil
        let request = ChatRequest.make(origin, command: command, query: query, room: room)
        var invocation = dependencies.dispatcher.invocation(
            for: integration, notification: event.notification, query: event.query, request: InvocationRequest(request),
            requestID: requestID)
        invocation.trace = trace
        let outcome = await dependencies.dispatcher.run(integration, invocation, deadline: dependencies.configuration.deadline)
        if case .timedOut(let pending) = outcome { pending.cancel() }
        if case .replied(let reply) = outcome { report.answered = (reply?.status ?? 200) < 400 }
        for shown in platform.map({ [$0] }) ?? TrialOptions.Platform.allCases {
            let adapter = chatAdapter(shown, dependencies)
            guard var shownEvent = try? adapter.decode(ChatRequest.make(shown, command: command, query: query, room: room))
            else { continue }
            shownEvent.integration = integration.name
            let response: HTTPResponse
            switch outcome {
            case .replied(let reply): response = adapter.render(reply, for: shownEvent)
            case .failed(let error): response = adapter.failure(error.prefixed(with: integration.name), for: shownEvent)
            case .timedOut:
                response = .error(IntegrationError.timedOut(
                    "\(integration.name) did not answer within \(Dispatcher.milliseconds(dependencies.configuration.deadline)) ms"))
            }
            report.answers.append(TrialReport.Answer(label: shown.rawValue, response: response))
        }
        return report
    }

    /// An HTTP request to `target`, answered by the host's router as a live host would answer it.
    private static func runRoute(
        _ method: HTTPMethod, _ target: String, headers: HTTPHeaders, bodyFile: String?, _ dependencies: HostDependencies,
        trace: TraceRecorder
    ) async -> TrialReport {
        let rawPath = String(target.prefix { $0 != "?" })
        let path = rawPath.removingPercentEncoding ?? rawPath
        let rawQuery = target.contains("?") ? String(target[target.index(after: target.firstIndex(of: "?")!)...]) : ""
        var report = TrialReport(request: "\(method) \(target)", answered: false)
        var body: [UInt8] = []
        if let bodyFile {
            do {
                body = try [UInt8](Data(contentsOf: URL(fileURLWithPath: bodyFile)))
            } catch {
                report.answers = [TrialReport.Answer(label: "http", response: .error(.badRequest, "cannot read --body: \(error)"))]
                return report
            }
        }
        let request = HTTPRequest(
            head: HTTPRequestHead(
                method: method, target: target, path: path, rawQuery: rawQuery, version: .http1_1, headers: headers),
            body: body, peer: peer)
        var target: String?
        if let name = WebhookAdapter.integrationName(path: path), dependencies.catalog.integration(named: name) != nil {
            target = name
        } else if case .matched(let integration, _) = dependencies.catalog.route(path: path, method: method) {
            target = integration.name
        }
        if let target {
            report.integration = describe(target, dependencies)
            report.trace = recordsTrace(target, dependencies) ? [] : nil
        } else if PlatformRoutes.paths.contains(path) || path == "/hipchat" {
            report.integration = "the one the platform's request names"
            report.trace = []
        }
        let router = HostRouter(dependencies: dependencies)
        let response = await router.route(request, context: RouteContext(requestID: requestID, trace: trace))
        report.answers = [TrialReport.Answer(label: "http", response: response)]
        report.answered = response.status.code < 400
        return report
    }

    private static func chatAdapter(_ platform: TrialOptions.Platform, _ dependencies: HostDependencies) -> any PlatformAdapter {
        let routes = dependencies.gateway.routes
        switch platform {
        case .hipchat:
            let configuration = dependencies.configuration
            return HipChatAdapter(
                repliesInline: true, api: configuration.hipchatAPI, tokens: configuration.tokens, secrets: routes.secrets,
                answerDeadline: configuration.deadline)
        case .slack: return routes.slack
        case .mattermost: return routes.mattermost
        case .teams: return routes.teams
        }
    }

    /// Whether integration `name` is a manifest, the kind that records a trace.
    private static func recordsTrace(_ name: String, _ dependencies: HostDependencies) -> Bool {
        dependencies.catalog.entries.first { $0.name == name }?.kind == "manifest"
    }

    /// `name (kind, file)`.
    private static func describe(_ name: String, _ dependencies: HostDependencies) -> String {
        guard let entry = dependencies.catalog.entries.first(where: { $0.name == name }) else { return name }
        return "\(name) (\(entry.kind), \(entry.file))"
    }
}

/// The log lines of a run, as the logger wrote them.
private final class CollectedLines: Sendable {
    private let collected = Mutex<[String]>([])

    func append(_ line: String) { collected.withLock { $0.append(line) } }
    func removeAll() { collected.withLock { $0.removeAll() } }
    var lines: [String] { collected.withLock { $0 } }
}
