import Foundation
import JSON
import Testing

@testable import HostApp
@testable import HostCore
@testable import IntegrationContract
@testable import Logging
@testable import Manifests
@testable import Platforms
@testable import Plugins

@Suite struct LoaderTests {
    @Test func acceptsManifestsButNotSchemasOrHiddenFiles() {
        let loader = ManifestLoader()
        #expect(loader.kind == "manifest")
        #expect(loader.accepts(fileName: "echo.json"))
        #expect(!loader.accepts(fileName: "manifest.schema.json"))
        #expect(!loader.accepts(fileName: ".hidden.json"))
        #expect(!loader.accepts(fileName: "plugin.so"))
        #expect(!loader.accepts(fileName: "README.md"))
    }

    @Test func identityDefaultsAndOverrides() throws {
        let plain = try Fixtures.manifest(#"{"description": "d", "actions": []}"#, fileName: "greet.json")
        #expect(plain.name == "greet")
        #expect(plain.summary == "d")
        #expect(plain.commands == ["greet"])
        #expect(plain.routes.isEmpty)
        #expect(plain.methods == [.post])

        let named = try Fixtures.manifest(#"""
            {"name": "deployer", "commands": ["/deploy", "ship"], "methods": ["POST", "put"],
             "routes": ["/deploy/<env>", {"path": "/status", "methods": ["GET"]}], "actions": []}
            """#, fileName: "x.json")
        #expect(named.name == "deployer")
        #expect(named.commands == ["deploy", "ship"])
        #expect(named.methods == [.post, .put])
        #expect(named.routes.map(\.pattern.description) == ["/deploy/<env>", "/status"])
        #expect(named.routes[0].methods == [.post, .put])
        #expect(named.routes[1].methods == [.get])
        #expect(named.routes[0].pattern.match("/deploy/prod") == ["env": "prod"])
    }

    @Test func everyShippedManifestLoads() throws {
        let loader = ManifestLoader()
        let files = try FileManager.default.contentsOfDirectory(atPath: Fixtures.integrationsDirectory.path)
            .filter { loader.accepts(fileName: $0) }.sorted()
        #expect(files == ["calc.json", "deploy.json", "echo.json", "github-push.json", "karma.json", "roll.json", "todo.json"])
        for file in files {
            let integrations = try loader.load(file: Fixtures.integrationsDirectory.appendingPathComponent(file))
            #expect(integrations.map(\.name) == [String(file.dropLast(5))])
        }
    }

    @Test func theSchemaFileIsValidJSONAndListsEveryTopLevelKey() throws {
        let schema = try JSONValue(parsing: Data(contentsOf: Fixtures.integrationsDirectory.appendingPathComponent("manifest.schema.json")))
        let properties = try #require(schema["properties"]?.objectValue)
        #expect(Set(properties.keys) == ManifestIntegration.topLevelKeys)
        let actions = try #require(schema.value(atPath: "$defs.action.properties")?.objectValue)
        #expect(Set(ManifestAction.kinds).isSubset(of: Set(actions.keys)))
        let rules = try #require(schema.value(atPath: "$defs.rule.properties")?.objectValue)
        #expect(Set(ManifestRule.kinds).isSubset(of: Set(rules.keys)))
    }

    @Test func limitsAreReadWithTheStandardForWhatIsLeftOut() throws {
        #expect(try Fixtures.manifest(#"{"actions": []}"#).runLimits == nil)
        #expect(try Fixtures.manifest(#"{"actions": [], "limits": {"concurrent": 2, "queued": 0}}"#).runLimits
            == RunLimits(concurrent: 2, queued: 0))
        #expect(try Fixtures.manifest(#"{"actions": [], "limits": {"concurrent": 3}}"#).runLimits
            == RunLimits(concurrent: 3, queued: RunLimits.standard.queued))
    }
}
