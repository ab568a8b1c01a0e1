import Foundation
import HTTPServer
import HostApp
import HostCore
import IntegrationContract
import Logging
import Manifests
import Platforms
import Plugins
import JSON

/// The platform vectors in ../shared/fixtures, computed independently of this project with Python's hmac.
enum Fixtures {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("../shared/fixtures").standardized

    static func load(_ name: String) throws -> JSONValue {
        try JSONValue(parsing: Array(Data(contentsOf: directory.appendingPathComponent(name))))
    }

    static func string(_ value: JSONValue?, _ path: String) -> String {
        value?.value(atPath: path)?.stringValue ?? ""
    }

    /// A request as the server would hand it over.
    static func request(
        _ path: String, headers: HTTPHeaders = HTTPHeaders(), body: String, method: HTTPMethod = .post
    ) -> HTTPRequest {
        let parts = path.split(separator: "?", maxSplits: 1)
        let head = HTTPRequestHead(
            method: method, target: path, path: String(parts[0]), rawQuery: parts.count > 1 ? String(parts[1]) : "",
            version: .http1_1, headers: headers)
        return HTTPRequest(head: head, body: Array(body.utf8), peer: PeerAddress(bytes: [127, 0, 0, 1], port: 40000))
    }

    static func secrets(_ tokens: [String], environment: [String: String] = [:]) throws -> PlatformSecrets {
        PlatformSecrets(tokens: try Tokens(parsing: tokens), environment: environment)
    }
}
