import Crypto
import Foundation
import HTTPServer
import JSON

/// Runs admin commands: authenticates the caller, confines files to the state directory, and answers JSON saying
/// what was saved, loaded or erased.
public struct AdminCommands: Sendable {
    let services: HostServices

    public init(services: HostServices) { self.services = services }

    /// Runs `command` for `request`'s caller.
    public func respond(to command: AdminCommand, from request: HTTPRequest) -> HTTPResponse {
        if let refusal = authorizationRefusal(request) {
            services.logger.log(.warning, "admin command refused for \(request.peer.host): \(refusal)")
            return .error(.forbidden, refusal)
        }
        let directory = StateDirectory(root: services.configuration.stateDirectory)
        switch command {
        case .erase:
            let erased = services.storage.snapshot()
            services.storage.eraseAll()
            services.logger.log(.notice, "storage erased (\(erased.count) integrations)")
            return AdminCommands.answer(["erased": AdminCommands.summary(erased)])
        case .save(let name):
            guard let name = name ?? services.configuration.stateFile else {
                return .error(.badRequest, "save needs a FILE (no --state file is configured)")
            }
            do {
                let url = try directory.resolve(name)
                let contents = services.storage.snapshot()
                try StorageFile.writeAtomically(StorageFile.encode(contents), to: url)
                services.logger.log(.notice, "storage saved to \(name)")
                return AdminCommands.answer(["saved": .string(name), "integrations": AdminCommands.summary(contents)])
            } catch let refusal as StateDirectory.Refusal {
                return .error(.badRequest, "cannot save \(name): \(refusal)")
            } catch {
                return .error(.internalServerError, "cannot save \(name): \(error.localizedDescription)")
            }
        case .load(let name):
            guard let name = name ?? services.configuration.stateFile else {
                return .error(.badRequest, "load needs a FILE (no --state file is configured)")
            }
            do {
                let contents = try AdminCommands.read(name, in: directory)
                services.storage.replaceAll(with: contents)
                services.logger.log(.notice, "storage loaded from \(name)")
                return AdminCommands.answer(["loaded": .string(name), "integrations": AdminCommands.summary(contents)])
            } catch {
                return .error(.badRequest, "cannot load \(name): \(error)")
            }
        }
    }

    /// Reads and checks a storage file inside the state directory.
    static func read(_ name: String, in directory: StateDirectory) throws -> [String: [String: JSONValue]] {
        let url = try directory.resolve(name)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw StorageFile.LoadError(description: "no such file in the state directory")
        }
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw StorageFile.LoadError(description: "unreadable")
        }
        return try StorageFile.decode(Array(data))
    }

    /// `nil` when the caller may run admin commands, else why not. With an admin token configured it must come as
    /// `Authorization: Bearer <token>`; without one only loopback peers are allowed.
    private func authorizationRefusal(_ request: HTTPRequest) -> String? {
        guard let expected = services.configuration.effectiveAdminToken else {
            return request.peer.isLoopback
                ? nil : "admin commands are only accepted from loopback when no admin token is configured"
        }
        guard let header = request.headers["Authorization"], header.hasPrefix("Bearer ") else {
            return "admin commands need Authorization: Bearer <admin token>"
        }
        let given = header.dropFirst("Bearer ".count)
        return ConstantTime.equals(Array(given.utf8), Array(expected.utf8)) ? nil : "wrong admin token"
    }

    /// Integration name → its sorted keys.
    static func summary(_ contents: [String: [String: JSONValue]]) -> JSONValue {
        .object(contents.mapValues { .array($0.keys.sorted().map(JSONValue.string)) })
    }

    private static func answer(_ body: JSONValue) -> HTTPResponse {
        .json(.ok, bytes: body.serializedBytes())
    }
}
