import IntegrationKit

/// The echo manifest's job as a compiled plugin, for the benchmark only: `/echo testing me` → `testing me`. Against
/// `integrations/echo.json` on the same request it measures what the plugin path itself costs (request document,
/// SDK, the run's task, the worker when isolated), with no work of the plugin's own in the way.
struct Echo: Integration {
    static let name = "echo"
    static let summary = "Replies with the query (benchmark plugin)"

    func run(_ invocation: Invocation) throws -> Reply? { Reply(invocation.query) }
}

@_cdecl("integration_plugin_v1") public func plugin() -> UnsafeRawPointer { export(Echo.self) }
