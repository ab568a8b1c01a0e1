import Foundation
import TestSupport
import HTTPServer
import JSON
import Testing

@testable import HostApp
@testable import HostCore
@testable import IntegrationContract
@testable import Logging
@testable import Manifests
@testable import Platforms
@testable import Plugins

/// Shared helpers: where the built example plugins are, compiling small C plugins, and making invocations.
enum PluginFixtures {
    /// The directory holding the test binary, where `swift build --build-tests` builds the example plugins.
    static var buildDirectory: URL { TestSupport.buildDirectory }

    /// The built example plugin `lib<product>.so` (or `.dylib`).
    static func builtPlugin(_ product: String) throws -> URL {
        for suffix in ["so", "dylib"] {
            let url = buildDirectory.appendingPathComponent("lib\(product).\(suffix)")
            if FileManager.default.fileExists(atPath: url.path) { return url }
        }
        throw FixtureError(
            "lib\(product).so is not in \(buildDirectory.path): build the example plugins first "
                + "(`swift build --build-tests` builds them)")
    }

    /// The built host binary, which isolated plugins' workers run as (`integration-host plugin-worker`).
    static let workerExecutable = buildDirectory.appendingPathComponent("integration-host")

    /// The package's `integration_abi.h` directory.
    static let headerDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../Sources/CIntegrationABI/include").standardizedFileURL

    /// A fresh temporary directory, removed by the caller.
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("plugin-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Compiles the C source `code` into the shared library `output` with the system's `cc`.
    static func compileC(_ code: String, to output: URL) throws {
        let source = output.deletingPathExtension().appendingPathExtension("c")
        try code.write(to: source, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: source) }
        let result = try Subprocess.run(
            "/usr/bin/env", ["cc", "-shared", "-fPIC", "-O1", "-I", headerDirectory.path, "-o", output.path, source.path])
        guard result.status == 0 else { throw FixtureError("cc failed: \(result.stderrText)") }
    }

    /// A C plugin named `name` whose handle body is `body` (with `request`, `request_len`, `api`, `host_ctx` in
    /// scope), preceded by `prelude`, and whose descriptor says ABI version `abiVersion`.
    static func cPlugin(
        name: String, abiVersion: String = "INTEGRATION_ABI_VERSION", prelude: String = "", body: String
    )
        -> String
    {
        """
        #include <stdio.h>
        #include <string.h>
        #include <unistd.h>
        #include "integration_abi.h"
        \(prelude)
        static int32_t handle(const char *request, size_t request_len, const struct integration_host_api *api,
                              void *host_ctx) {
            \(body)
        }
        static const struct integration_plugin plugin = {
            .abi_version = \(abiVersion), .struct_size = sizeof(struct integration_plugin),
            .name = "\(name)", .description = "test plugin \(name)", .handle = handle,
        };
        const struct integration_plugin *integration_plugin_v1(void) { return &plugin; }
        """
    }

    /// A C handle body that replies with `text`.
    static func replying(_ text: String) -> String {
        #"return api->reply(host_ctx, "\#(text)", strlen("\#(text)"), NULL, 0) == INTEGRATION_OK ? 0 : 500;"#
    }

    /// The HipChat room_message fixture the bench also posts ("/echo testing me" from "Example Name").
    static let hipchatBody: [UInt8] = Array(
        #"{"event":"room_message","item":{"message":{"date":"2017-05-30T17:14:12.417069+00:00","from":{"id":123,"links":{"self":"https://api.hipchat.com/v2/user/123"},"mention_name":"ExampleName","name":"Example Name","version":"4IA56R7S"},"id":"00000000-0000-0000-0000-000000000000","mentions":[],"message":"/echo testing me","type":"message"},"room":{"id":123,"is_archived":false,"links":{"self":"https://api.hipchat.com/v2/room/123"},"name":"TestRoom","privacy":"public","version":"DZFEFH1G"}},"oauth_client_id":"00000000-0000-0000-0000-000000000000","webhook_id":123}"#
            .utf8)

    /// The HipChat fixture saying `message` instead.
    static func hipchatBody(message: String) throws -> [UInt8] {
        guard case .object(var root) = try JSONValue(parsing: hipchatBody), case .object(var item)? = root["item"],
            case .object(var inner)? = item["message"]
        else { throw FixtureError("fixture shape") }
        inner["message"] = .string(message)
        item["message"] = .object(inner)
        root["item"] = .object(item)
        return JSONValue.object(root).serializedBytes()
    }

    /// An invocation of `integration` as the HipChat route would make it for a message `text`.
    static func invocation(
        _ integration: String, text: String = "/echo testing me", query: String = "testing me",
        storage: Storage, logger: HostLogger, tokens: Tokens = Tokens(), token: String? = nil,
        requestID: String = "req-1"
    ) throws -> Invocation {
        var payload = try JSONValue(parsing: hipchatBody)
        if case .object(var root) = payload, case .object(var item)? = root["item"],
            case .object(var message)? = item["message"]
        {
            message["message"] = .string(text)
            item["message"] = .object(message)
            root["item"] = .object(item)
            payload = .object(root)
        }
        let hipchat = try HipChatMessage(json: payload)
        let headers: HTTPHeaders = ["Content-Type": "application/json"]
        let notification = Notification(
            platform: .hipchat, channel: .init(id: "123", name: "TestRoom"),
            sender: .init(id: "123", name: "Example Name", handle: "ExampleName"), text: text,
            command: integration, event: "room_message", headers: headers, rawBody: hipchatBody, payload: payload,
            hipchat: hipchat)
        let head = HTTPRequestHead(
            method: .post, target: "/hipchat", path: "/hipchat", rawQuery: "", version: .http1_1, headers: headers)
        return Invocation(
            notification: notification, query: query, allTokens: tokens, token: token,
            storage: storage.namespace(integration),
            log: IntegrationLogger(integration: integration, requestID: requestID, host: logger), requestID: requestID,
            request: InvocationRequest(HTTPRequest(head: head, body: hipchatBody, peer: PeerAddress(bytes: [127, 0, 0, 1], port: 1))))
    }

    /// A logger writing to a file in `directory`, and a way to read it back.
    static func logger(in directory: URL) throws -> (HostLogger, () -> String) {
        let path = directory.appendingPathComponent("host.log").path
        let logger = try HostLogger(minimumLevel: .trace, logFile: path, echoToStderr: false)
        return (logger, { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" })
    }
}

struct FixtureError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
