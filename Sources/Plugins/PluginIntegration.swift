import CIntegrationABI
import HTTPTypes
import IntegrationContract

/// A compiled plugin loaded from a shared library: each `run` encodes the request, calls the plugin's `handle`
/// on a plugin worker thread and turns what it set through the host API into a `Reply` or an `IntegrationError`.
public struct PluginIntegration: Integration {
    public let name: String
    public let summary: String
    public let commands: [String]
    public let routes: [IntegrationRoute]
    private let handle: integration_handle_fn
    private let pool: PluginWorkerPool

    init(descriptor: PluginDescriptor, pool: PluginWorkerPool) {
        name = descriptor.name
        summary = descriptor.summary
        commands = descriptor.commands
        routes = descriptor.routes
        handle = descriptor.handle
        self.pool = pool
    }

    public func run(_ invocation: Invocation) async throws -> Reply? {
        let outcome = try await pool.run { [name, handle] in
            PluginIntegration.call(handle, invocation, plugin: name)
        }
        switch outcome {
        case .reply(let reply):
            return reply
        case .failure(let status, let message):
            throw IntegrationError(status: HTTPStatus(status), message)
        }
    }

    /// One call on the current thread: encode, `handle`, collect. What `run` does on a worker thread; public so the
    /// call overhead can be measured without the thread hop.
    public func callOnCurrentThread(_ invocation: Invocation) -> Result<Reply?, IntegrationError> {
        switch PluginIntegration.call(handle, invocation, plugin: name) {
        case .reply(let reply): return .success(reply)
        case .failure(let status, let message): return .failure(IntegrationError(status: HTTPStatus(status), message))
        }
    }

    private static func call(_ handle: integration_handle_fn, _ invocation: Invocation, plugin: String)
        -> PluginCall.Outcome
    {
        let request = PluginRequest.encode(invocation, integration: plugin)
        let call = PluginCall(invocation: invocation)
        return call.perform(handle, request: request.bytes, count: request.count, plugin: plugin)
    }
}
