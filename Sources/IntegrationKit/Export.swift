import CIntegrationABI
import JSON
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Makes `type` this library's plugin and returns its `integration_plugin` descriptor. Call it from the one
/// exported entry point, in one line:
///
/// ```swift
/// @_cdecl("integration_plugin_v1") public func plugin() -> UnsafeRawPointer { export(Shout.self) }
/// ```
///
/// The first call creates the instance and the descriptor; later calls return the same descriptor.
public func export<T: Integration>(_ type: T.Type) -> UnsafeRawPointer {
    Exported.state.withLock { state in
        if let descriptor = state.descriptor { return descriptor }
        state.integration = T()
        let descriptor = Exported.descriptor(for: T.self)
        state.descriptor = descriptor
        return descriptor
    }
}

/// The one integration this library exports, and its descriptor: set once by `export`, then only read.
enum Exported {
    /// Unchecked because `any Integration` and a raw pointer are not `Sendable` to the compiler; safe because the
    /// state is only ever read or written inside `state`'s lock, and the descriptor it points to is immutable.
    struct State: @unchecked Sendable {
        var integration: (any Integration)?
        var descriptor: UnsafeRawPointer?
    }

    static let state = Mutex(State())

    /// Builds the C descriptor. It and everything it points to are allocated once and never freed, as the ABI asks.
    static func descriptor<T: Integration>(for type: T.Type) -> UnsafeRawPointer {
        let commands = T.commands.map { UnsafePointer(strdup($0)) }
        let commandList = UnsafeMutablePointer<UnsafePointer<CChar>?>.allocate(capacity: max(commands.count, 1))
        commandList.initialize(from: commands, count: commands.count)
        let routes = T.routes.map { route in
            integration_route(pattern: strdup(route.pattern), methods: strdup(route.methods.joined(separator: ",")))
        }
        let routeList = UnsafeMutablePointer<integration_route>.allocate(capacity: max(routes.count, 1))
        routeList.initialize(from: routes, count: routes.count)
        let plugin = UnsafeMutablePointer<integration_plugin>.allocate(capacity: 1)
        plugin.initialize(
            to: integration_plugin(
                abi_version: UInt32(INTEGRATION_ABI_VERSION),
                struct_size: UInt32(MemoryLayout<integration_plugin>.size),
                name: strdup(T.name), description: strdup(T.summary),
                commands: commandList, command_count: commands.count,
                routes: routeList, route_count: routes.count,
                handle: { request, length, api, context in Exported.handle(request, length, api, context) }))
        return UnsafeRawPointer(plugin)
    }

    /// The C `handle`: decodes the request, runs the integration, hands its reply or error to the host. No Swift
    /// error leaves this function.
    static func handle(
        _ request: UnsafePointer<CChar>?, _ length: Int, _ table: UnsafePointer<integration_host_api>?,
        _ context: UnsafeMutableRawPointer?
    ) -> Int32 {
        guard let host = HostAPI(table, context: context) else { return 500 }
        guard let integration = state.withLock({ $0.integration }) else {
            host.error("the plugin was called before export() ran")
            return 500
        }
        let invocation: Invocation
        do {
            guard let request, length >= 0 else { throw RequestError("the request is empty") }
            invocation = try Invocation(request: UnsafeRawBufferPointer(start: request, count: length), host: host)
        } catch {
            host.error("the plugin could not read the host's request: \(error)")
            return 500
        }
        do {
            guard let reply = try integration.run(invocation) else { return 0 }
            let status = host.reply(reply)
            guard status == INTEGRATION_OK.rawValue else {
                host.error("the host refused the reply (status \(status))")
                return 500
            }
            return 0
        } catch let error as IntegrationError {
            host.error(error.message)
            return Int32((400...599).contains(error.status.code) ? error.status.code : 500)
        } catch {
            host.error("\(error)")
            return 500
        }
    }
}
