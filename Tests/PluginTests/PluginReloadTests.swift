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
    /// A plugin rebuilt in place loads as a new image with its new behaviour; the old image keeps working.
    @Suite struct PluginReloadTests {
        @Test func rebuiltPluginAnswersWithItsNewBehaviour() async throws {
            let directory = try PluginFixtures.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            let (logger, _) = try PluginFixtures.logger(in: directory)
            let loader = PluginLoader()
            let file = directory.appendingPathComponent("greeter.so")

            try PluginFixtures.compileC(
                PluginFixtures.cPlugin(name: "greeter", body: PluginFixtures.replying("hello v1")), to: file)
            let first = try #require(try loader.load(file: file).first)
            try PluginFixtures.compileC(
                PluginFixtures.cPlugin(name: "greeter", body: PluginFixtures.replying("hello v2")), to: file)
            let second = try #require(try loader.load(file: file).first)

            let invocation = try PluginFixtures.invocation("greeter", storage: Storage(), logger: logger)
            #expect(try await second.run(invocation)?.text == "hello v2")
            #expect(try await first.run(invocation)?.text == "hello v1")
        }
    }
}
