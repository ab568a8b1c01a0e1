import CIntegrationABI
import Foundation
import HTTPTypes
import IntegrationContract

/// A plugin's `integration_plugin` descriptor, checked and copied into Swift values.
struct PluginDescriptor: Sendable {
    let name: String
    let summary: String
    let commands: [String]
    let routes: [IntegrationRoute]
    let handle: integration_handle_fn

    /// The most commands or routes one plugin may declare.
    static let maximumEntries = 256

    /// Why a descriptor is refused.
    struct Invalid: Error, CustomStringConvertible {
        let description: String
    }

    /// Reads and checks the descriptor at `pointer`: the ABI version and size first, then every field.
    init(at pointer: UnsafeRawPointer) throws(Invalid) {
        let version = pointer.loadUnaligned(as: UInt32.self)
        guard version == UInt32(INTEGRATION_ABI_VERSION) else {
            throw Invalid(
                description: "it was built for plugin ABI version \(version); this host supports version "
                    + "\(INTEGRATION_ABI_VERSION) (rebuild it against this host's integration_abi.h)")
        }
        let size = pointer.loadUnaligned(fromByteOffset: 4, as: UInt32.self)
        let expected = MemoryLayout<integration_plugin>.size
        guard Int(size) >= expected else {
            throw Invalid(description: "its descriptor is \(size) bytes, smaller than the \(expected) of ABI version 1")
        }
        let plugin = pointer.assumingMemoryBound(to: integration_plugin.self).pointee

        guard let name = PluginDescriptor.string(plugin.name) else {
            throw Invalid(description: "its descriptor has no name, or the name is not UTF-8")
        }
        guard IntegrationName.isValid(name) else {
            throw Invalid(description: "its name '\(name.prefix(80))' must match [A-Za-z0-9_-]{1,64}")
        }
        guard let handle = plugin.handle else {
            throw Invalid(description: "plugin \(name) has no handle function")
        }
        self.name = name
        self.handle = handle
        self.summary = PluginDescriptor.string(plugin.description).map { String($0.prefix(512)) } ?? ""
        self.commands = try PluginDescriptor.commands(plugin, name: name)
        self.routes = try PluginDescriptor.routes(plugin, name: name)
    }

    private static func commands(_ plugin: integration_plugin, name: String) throws(Invalid) -> [String] {
        guard plugin.command_count > 0 else { return [name] }
        guard plugin.command_count <= maximumEntries, let list = plugin.commands else {
            throw Invalid(
                description: "plugin \(name) declares \(plugin.command_count) commands; it needs a commands array "
                    + "of at most \(maximumEntries)")
        }
        var commands: [String] = []
        for index in 0..<plugin.command_count {
            guard let command = string(list[index]), IntegrationName.isValid(command) else {
                throw Invalid(description: "plugin \(name): command #\(index + 1) must match [A-Za-z0-9_-]{1,64}")
            }
            if !commands.contains(command) { commands.append(command) }
        }
        return commands
    }

    private static func routes(_ plugin: integration_plugin, name: String) throws(Invalid) -> [IntegrationRoute] {
        guard plugin.route_count > 0 else { return [] }
        guard plugin.route_count <= maximumEntries, let list = plugin.routes else {
            throw Invalid(
                description: "plugin \(name) declares \(plugin.route_count) routes; it needs a routes array of at "
                    + "most \(maximumEntries)")
        }
        var routes: [IntegrationRoute] = []
        for index in 0..<plugin.route_count {
            let entry = list[index]
            guard let text = string(entry.pattern) else {
                throw Invalid(description: "plugin \(name): route #\(index + 1) has no pattern")
            }
            let pattern: RoutePattern
            do {
                pattern = try RoutePattern(text)
            } catch {
                throw Invalid(description: "plugin \(name): route '\(text.prefix(200))': \(error)")
            }
            let methods = try self.methods(string(entry.methods) ?? "POST", route: text, plugin: name)
            routes.append(IntegrationRoute(pattern: pattern, methods: methods))
        }
        return routes
    }

    static func methods(_ list: String, route: String, plugin: String) throws(Invalid) -> Set<HTTPMethod> {
        var methods: Set<HTTPMethod> = []
        for part in list.split(separator: ",") {
            let method = HTTPMethod(rawValue: part.trimmingCharacters(in: .whitespaces).uppercased())
            guard HTTPMethod.known.contains(method) else {
                throw Invalid(
                    description: "plugin \(plugin): route '\(route)' has an unknown method '\(part.prefix(20))'")
            }
            methods.insert(method)
        }
        guard !methods.isEmpty else {
            throw Invalid(description: "plugin \(plugin): route '\(route)' lists no methods")
        }
        return methods
    }

    private static func string(_ pointer: UnsafePointer<CChar>?) -> String? {
        guard let pointer else { return nil }
        return String(validatingCString: pointer)
    }
}
