import Foundation
import HostApp
import HostCore
import IntegrationContract
import Logging
import Manifests
import Platforms
import Plugins
import JSON

/// A test-only integration kind, for the catalog and dispatch mechanics: a `.scripted` file is a JSON object
/// saying what the integration does, e.g. `{"reply": "got {query}", "sleep_ms": 50, "increment": "count"}`, or
/// `{"gate": NAME, "reply": "ok"}` to wait at the test's `ScriptGate` named NAME, `{"busy": "why"}` to refuse with 503
/// and `Retry-After: 1`, and `"limits": {"concurrent", "queued"}`.
/// The shipped kinds (manifests, plugins) have their own end-to-end tests.
struct ScriptedIntegrationLoader: IntegrationLoader {
    var kind: String { "scripted" }

    func accepts(fileName: String) -> Bool { fileName.hasSuffix(".scripted") }

    func load(file: URL) throws -> [any Integration] {
        let script = try JSONValue(parsing: Array(try Data(contentsOf: file)))
        guard case .object = script else { throw IntegrationError("script must be an object") }
        let name = script["name"]?.stringValue ?? file.deletingPathExtension().lastPathComponent
        return [ScriptedIntegration(name: name, script: script)]
    }
}

struct ScriptedIntegration: Integration {
    let name: String
    let script: JSONValue

    var summary: String { "scripted test integration" }

    var commands: [String] { script["commands"]?.arrayValue?.compactMap(\.stringValue) ?? [name] }

    var routes: [IntegrationRoute] {
        (script["routes"]?.arrayValue ?? []).compactMap { $0.stringValue.flatMap { try? RoutePattern($0) } }
            .map { IntegrationRoute(pattern: $0, methods: [.post, .get]) }
    }

    var runLimits: RunLimits? {
        script["limits"].map { limits in
            RunLimits(concurrent: limits["concurrent"]?.intValue ?? 64, queued: limits["queued"]?.intValue ?? 64)
        }
    }

    func run(_ invocation: Invocation) async throws -> Reply? {
        invocation.log.info("scripted \(name) from \(invocation.notification.sender?.name ?? "-")")
        if let milliseconds = script["sleep_ms"]?.intValue {
            try await Task.sleep(for: .milliseconds(milliseconds))
        }
        if let gate = script["gate"]?.stringValue {
            guard let gate = ScriptGate.named(gate) else { throw IntegrationError("no gate \(gate)") }
            await gate.pass()
        }
        if let message = script["throw"]?.stringValue { throw IntegrationError(message) }
        if let message = script["busy"]?.stringValue { throw IntegrationError.unavailable(message, retryAfter: 1) }
        var count: Double?
        if let key = script["increment"]?.stringValue {
            count = try invocation.storage.increment(key)
        }
        guard let template = script["reply"]?.stringValue else { return nil }
        let text = template
            .replacingOccurrences(of: "{query}", with: invocation.query)
            .replacingOccurrences(of: "{token}", with: invocation.token ?? "none")
            .replacingOccurrences(of: "{sender}", with: invocation.notification.sender?.name ?? "")
            .replacingOccurrences(of: "{room}", with: invocation.notification.channel?.id ?? "")
            .replacingOccurrences(of: "{count}", with: count.map { String(Int($0)) } ?? "")
            .replacingOccurrences(of: "{param}", with: invocation.routeParameters.sorted { $0.key < $1.key }
                .map { "\($0.key)=\($0.value)" }.joined(separator: ","))
        return Reply(text, color: .green)
    }
}
