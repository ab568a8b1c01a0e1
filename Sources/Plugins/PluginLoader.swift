import CIntegrationABI
import Foundation
import IntegrationContract

/// Loads compiled plugins (`.so`, `.dylib`) that export `integration_plugin_v1` (see integration_abi.h).
///
/// Every load maps a private copy of the file (`PluginCopy`): a file rebuilt in place never changes an image that is
/// already mapped, and a changed file becomes a new image beside the old one, which stays mapped (nothing is ever
/// unloaded, see `DynamicLibrary`). The copy is deleted right after loading; the mapping outlives it.
public struct PluginLoader: IntegrationLoader {
    public let kind = "plugin"

    public init() {}

    public func accepts(fileName: String) -> Bool {
        fileName.hasSuffix(".so") || fileName.hasSuffix(".dylib")
    }

    public func load(file: URL) throws -> [any Integration] {
        let path = file.path
        func failure(_ reason: String) -> PluginLoadError { PluginLoadError(file: path, reason: reason) }

        let copy: PluginCopy
        do {
            copy = try PluginCopy(of: path)
        } catch {
            throw failure("could not copy it for loading: \(error)")
        }
        defer { copy.remove() }

        let library: DynamicLibrary
        do {
            library = try DynamicLibrary(path: copy.path)
        } catch {
            let reason = error.description.replacingOccurrences(of: copy.path + ": ", with: "")
            throw failure("not a loadable shared library (dlopen: \(reason))")
        }
        guard let symbol = library.symbol(INTEGRATION_PLUGIN_SYMBOL) else {
            throw failure("not a plugin: it does not export \(INTEGRATION_PLUGIN_SYMBOL)")
        }
        let entry = unsafeBitCast(symbol, to: integration_plugin_v1_fn.self)
        guard let descriptor = entry() else {
            throw failure("\(INTEGRATION_PLUGIN_SYMBOL)() returned NULL")
        }
        do {
            let checked = try PluginDescriptor(at: UnsafeRawPointer(descriptor))
            return [PluginIntegration(descriptor: checked)]
        } catch {
            throw failure(error.description)
        }
    }
}
