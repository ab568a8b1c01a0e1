import Foundation
import HTTPServer
import HostApp
import HostCore
import IntegrationContract
import Logging
import Manifests
import Platforms
import Plugins
import Testing

/// Declared routes as the catalog finds them: literal routes before patterns, paths compared segment by segment.
@Suite struct RoutingTests {
    @Test func aLiteralRouteWinsOverAPatternThatAlsoMatches() throws {
        let directory = Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let files = [
            "a-pattern.json": #"{"routes": ["/deploy/<env>"], "actions": [{"reply": "pattern {{param.env}}"}]}"#,
            "b-literal.json": #"{"routes": ["/deploy/prod"], "actions": [{"reply": "literal"}]}"#,
            "c-status.json": #"{"routes": [{"path": "/status", "methods": ["GET"]}], "actions": [{"reply": "up"}]}"#,
        ]
        for (name, text) in files {
            try text.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        let catalog = Catalog(directory: directory, loaders: IntegrationKinds.loaders(), logger: Fixtures.quietLogger())
        #expect(catalog.rescan().isEmpty)

        func target(_ path: String, _ method: HTTPMethod = .post) -> String {
            switch catalog.route(path: path, method: method) {
            case .matched(let integration, let parameters):
                return integration.name + parameters.map { " \($0.key)=\($0.value)" }.joined()
            case .wrongMethod(let allowed): return "405 " + allowed.map(\.rawValue).sorted().joined(separator: ",")
            case .none: return "404"
            }
        }
        #expect(target("/deploy/prod") == "b-literal")
        #expect(target("//deploy//prod/") == "b-literal")
        #expect(target("/deploy/dev") == "a-pattern env=dev")
        #expect(target("/deploy/prod", .get) == "405 POST")
        #expect(target("/status", .get) == "c-status")
        #expect(target("/status/", .get) == "c-status")
        #expect(target("/status") == "405 GET")
        #expect(target("/deploy") == "404")
        #expect(target("/") == "404")
    }
}
