import CIntegrationABI
import HTTPTypes
import IntegrationContract

/// A compiled plugin loaded into the host's own process (`--plugins in-process`, the trusted mode): each `run`
/// encodes the request, calls the plugin's `handle` on the calling thread — one of the HTTP server's handler
/// threads, so a call costs no thread hop — and turns what it set through the host API into a `Reply` or an
/// `IntegrationError`. A call past the dispatcher's deadline is answered 504 on time while it keeps its thread to
/// its end (a C call cannot be interrupted), and the handler pool starts another thread in its place.
public struct PluginIntegration: Integration {
    public let name: String
    public let summary: String
    public let commands: [String]
    public let routes: [IntegrationRoute]
    private let handle: integration_handle_fn

    init(descriptor: PluginDescriptor) {
        name = descriptor.name
        summary = descriptor.summary
        commands = descriptor.commands
        routes = descriptor.routes
        handle = descriptor.handle
    }

    public func run(_ invocation: Invocation) async throws -> Reply? {
        let outcome = PluginIntegration.call(handle, invocation, plugin: name)
        switch outcome {
        case .reply(let reply):
            return reply
        case .failure(let status, let message):
            throw IntegrationError(status: HTTPStatus(status), message)
        }
    }

    /// One call, as `run` makes it but without the async frame: encode, `handle`, collect. Public so the call
    /// overhead can be measured on its own.
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
