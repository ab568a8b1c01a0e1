import Foundation
import Testing

@testable import HostApp
@testable import HostCore
@testable import IntegrationContract
@testable import Logging
@testable import Manifests
@testable import Platforms
@testable import Plugins

extension PluginTests {
    /// Loading: the built examples load with the descriptor they declare; everything else is refused with a message
    /// that names the file and the reason.
    @Suite struct PluginLoaderTests {
        let loader = PluginLoader()

        @Test func acceptsSharedLibrariesOnly() {
            #expect(loader.accepts(fileName: "echo.so"))
            #expect(loader.accepts(fileName: "libEcho.dylib"))
            #expect(!loader.accepts(fileName: "echo.json"))
            #expect(!loader.accepts(fileName: "echo.so.txt"))
        }

        @Test func loadsTheBuiltSwiftExample() throws {
            let loaded = try loader.load(file: try PluginFixtures.builtPlugin("ParrotPlugin"))
            let parrot = try #require(loaded.first as? PluginIntegration)
            #expect(loaded.count == 1)
            #expect(parrot.name == "parrot")
            #expect(parrot.summary == "Repeats the query and remembers the last one")
            #expect(parrot.commands == ["parrot", "echo"])
            #expect(parrot.routes.isEmpty)
        }

        @Test func loadsTheBuiltCExample() throws {
            let loaded = try loader.load(file: try PluginFixtures.builtPlugin("CounterPlugin"))
            let counter = try #require(loaded.first as? PluginIntegration)
            #expect(counter.name == "counter")
            #expect(counter.commands == ["counter", "count"])
            #expect(counter.routes.map(\.pattern.description) == ["/counter"])
            #expect(counter.routes.first?.methods == [.get, .post])
        }

        @Test func refusesGarbage() throws {
            let directory = try PluginFixtures.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            let file = directory.appendingPathComponent("garbage.so")
            try Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 7919) }).write(to: file)
            let error = try #require(throws: PluginLoadError.self) { try loader.load(file: file) }
            #expect(error.file == file.path)
            #expect(
                error.description == "plugin \(file.path): not a loadable shared library (dlopen: invalid ELF header)")
        }

        @Test func refusesALibraryWithoutTheEntryPoint() throws {
            let directory = try PluginFixtures.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            let file = directory.appendingPathComponent("plain.so")
            try PluginFixtures.compileC("int answer(void) { return 42; }", to: file)
            let error = try #require(throws: PluginLoadError.self) { try loader.load(file: file) }
            #expect(error.description == "plugin \(file.path): not a plugin: it does not export integration_plugin_v1")
        }

        @Test func refusesAnotherABIVersion() throws {
            let directory = try PluginFixtures.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            let file = directory.appendingPathComponent("future.so")
            try PluginFixtures.compileC(
                PluginFixtures.cPlugin(name: "future", abiVersion: "99", body: "return 0;"), to: file)
            let error = try #require(throws: PluginLoadError.self) { try loader.load(file: file) }
            #expect(
                error.description
                    == "plugin \(file.path): it was built for plugin ABI version 99; this host supports version 1 "
                    + "(rebuild it against this host's integration_abi.h)")
        }

        @Test func refusesAnInvalidName() throws {
            let directory = try PluginFixtures.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            let file = directory.appendingPathComponent("badname.so")
            try PluginFixtures.compileC(PluginFixtures.cPlugin(name: "../etc", body: "return 0;"), to: file)
            let error = try #require(throws: PluginLoadError.self) { try loader.load(file: file) }
            #expect(error.description == "plugin \(file.path): its name '../etc' must match [A-Za-z0-9_-]{1,64}")
        }

        @Test func refusesADescriptorWithoutHandle() throws {
            let directory = try PluginFixtures.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            let file = directory.appendingPathComponent("nohandle.so")
            try PluginFixtures.compileC(
                """
                #include "integration_abi.h"
                static const struct integration_plugin plugin = {
                    INTEGRATION_ABI_VERSION, sizeof(struct integration_plugin), "nohandle", 0, 0, 0, 0, 0, 0 };
                const struct integration_plugin *integration_plugin_v1(void) { return &plugin; }
                """, to: file)
            let error = try #require(throws: PluginLoadError.self) { try loader.load(file: file) }
            #expect(error.description == "plugin \(file.path): plugin nohandle has no handle function")
        }

        @Test func refusesABadRoute() throws {
            let directory = try PluginFixtures.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            let file = directory.appendingPathComponent("badroute.so")
            try PluginFixtures.compileC(
                """
                #include "integration_abi.h"
                static int32_t handle(const char *r, size_t n, const struct integration_host_api *a, void *c) { return 0; }
                static const struct integration_route routes[] = { { "/deploy/<env>", "POST,FETCH" } };
                static const struct integration_plugin plugin = {
                    INTEGRATION_ABI_VERSION, sizeof(struct integration_plugin), "badroute", 0, 0, 0, routes, 1, handle };
                const struct integration_plugin *integration_plugin_v1(void) { return &plugin; }
                """, to: file)
            let error = try #require(throws: PluginLoadError.self) { try loader.load(file: file) }
            #expect(
                error.description
                    == "plugin \(file.path): plugin badroute: route '/deploy/<env>' has an unknown method 'FETCH'")
        }

        @Test func refusesAFileThatVanished() throws {
            let file = URL(fileURLWithPath: "/nonexistent-\(UUID().uuidString)/gone.so")
            let error = try #require(throws: PluginLoadError.self) { try loader.load(file: file) }
            #expect(error.description.hasPrefix("plugin \(file.path): could not copy it for loading: "))
        }

        @Test func loadingLeavesNoCopiesBehind() throws {
            func copies() throws -> Set<String> {
                Set(
                    try FileManager.default.contentsOfDirectory(atPath: NSTemporaryDirectory())
                        .filter { $0.hasPrefix("integration-host-plugin.") })
            }
            let before = try copies()
            _ = try loader.load(file: try PluginFixtures.builtPlugin("CounterPlugin"))
            let garbage = try PluginFixtures.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: garbage) }
            try Data(repeating: 7, count: 64).write(to: garbage.appendingPathComponent("x.so"))
            _ = try? loader.load(file: garbage.appendingPathComponent("x.so"))
            // Only the plugin suites load plugins in this process, one test at a time.
            #expect(try copies().subtracting(before).isEmpty)
        }
    }
}
