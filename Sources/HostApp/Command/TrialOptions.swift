import Foundation
import HTTPTypes
import IntegrationContract
import Logging

/// `integration-host test …`: what to run once, in process, with no listener (`TrialRun`).
///
/// ```
/// integration-host test DIR COMMAND [QUERY...] [--platform P] [--room ROOM] [--verified] [common options]
/// integration-host test DIR --route METHOD PATH [--body FILE] [--header NAME:VALUE]... [common options]
/// common options: [--tokens TOKEN...] [--state FILE [--save-state]] [--plugins MODE] [--deadline SECONDS]
/// ```
public struct TrialOptions: Sendable {
    /// The chat platforms a command can come from.
    public enum Platform: String, Sendable, CaseIterable {
        case hipchat, slack, mattermost, teams
    }

    /// What is sent to the integration.
    public enum Request: Sendable {
        /// `/COMMAND QUERY` from a chat: from `platform`, or, when `nil`, from HipChat with the reply shown as every
        /// chat platform would receive it.
        case command(name: String, query: String, platform: Platform?, room: String, verified: Bool)
        /// An HTTP request to one of the host's routes, answered as the host would answer it.
        case route(method: HTTPMethod, target: String, headers: HTTPHeaders, bodyFile: String?)
    }

    public var directory: URL
    public var request: Request
    public var tokens: Tokens
    /// A storage file to start from; `nil`: empty storage.
    public var stateFile: String?
    /// Whether storage is written back to `stateFile` after the run.
    public var saveState: Bool
    public var plugins: PluginSettings
    public var deadline: Duration
    public var logLevel: LogLevel

    /// The paths `--route` refuses: they run no integration (admin commands, listings).
    static let hostOnlyPaths: Set<String> = ["/", "/healthz", "/integrations"]

    /// Parses `test`'s arguments (after the word `test`).
    static func parse(
        _ arguments: [String], environment: [String: String]
    ) throws(CommandLineOptions.UsageError) -> TrialOptions {
        typealias UsageError = CommandLineOptions.UsageError
        var positional: [String] = []
        var route: (method: String, path: String)?
        var bodyFile: String?
        var headers = HTTPHeaders()
        var platform: Platform?
        var room: String?
        var verified = false
        var tokens: [String] = []
        var stateFile: String?
        var saveState = false
        var pluginMode: String?
        var deadline: String?
        var index = 0

        func value(_ flag: String) throws(UsageError) -> String {
            index += 1
            guard index < arguments.count else { throw UsageError("\(flag) needs a value") }
            return arguments[index]
        }
        func once(_ slot: inout String?, _ flag: String) throws(UsageError) {
            guard slot == nil else { throw UsageError("\(flag) given twice") }
            slot = try value(flag)
        }

        while index < arguments.count {
            let argument = arguments[index]
            switch argument {
            case "--route":
                guard route == nil else { throw UsageError("--route given twice") }
                let method = try value(argument)
                route = (method, try value("--route METHOD"))
            case "--body": try once(&bodyFile, argument)
            case "--header":
                let header = try value(argument)
                guard let colon = header.firstIndex(of: ":"), colon != header.startIndex else {
                    throw UsageError("--header must be NAME:VALUE, got '\(header)'")
                }
                let name = String(header[..<colon])
                let text = String(header[header.index(after: colon)...]).trimmingCharacters(in: .whitespaces)
                guard name.utf8.allSatisfy({ $0 > 32 && $0 < 127 }), !text.utf8.contains(where: { $0 < 32 || $0 == 127 })
                else { throw UsageError("--header '\(name)' must be a header name and a value without control characters") }
                headers.add(name, text)
            case "--platform":
                let name = try value(argument)
                guard platform == nil else { throw UsageError("--platform given twice") }
                guard let parsed = Platform(rawValue: name) else {
                    throw UsageError("--platform must be one of hipchat, slack, mattermost, teams; got '\(name)'")
                }
                platform = parsed
            case "--room": try once(&room, argument)
            case "--verified": verified = true
            case "--state": try once(&stateFile, argument)
            case "--save-state": saveState = true
            case "--plugins": try once(&pluginMode, argument)
            case "--deadline": try once(&deadline, argument)
            case "-t", "--tokens":
                var taken = 0
                while index + 1 < arguments.count, !arguments[index + 1].hasPrefix("-") {
                    index += 1
                    tokens.append(arguments[index])
                    taken += 1
                }
                guard taken > 0 else { throw UsageError("--tokens needs at least one TOKEN") }
            default:
                guard !argument.hasPrefix("-") || argument == "-" else { throw UsageError("unknown option \(argument) for test") }
                positional.append(argument)
            }
            index += 1
        }

        guard let path = positional.first else { throw UsageError("test needs a DIR") }
        let directory = try CommandLineOptions.directory(path, what: "test DIR")
        let request: Request
        if let route {
            guard positional.count == 1 else {
                throw UsageError("test --route takes no COMMAND or QUERY, got '\(positional[1])'")
            }
            guard platform == nil, room == nil, !verified else {
                throw UsageError("--platform, --room and --verified are for a COMMAND; a --route request carries its own")
            }
            guard route.method.utf8.allSatisfy({ $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") }), !route.method.isEmpty
            else { throw UsageError("--route METHOD must be an upper-case HTTP method such as POST, got '\(route.method)'") }
            guard route.path.hasPrefix("/") else { throw UsageError("--route PATH must start with /, got '\(route.path)'") }
            let bare = String(route.path.prefix { $0 != "?" })
            guard !hostOnlyPaths.contains(bare) else {
                throw UsageError("--route \(bare) runs no integration: try /hooks/NAME, an integration's route or a platform path")
            }
            if let bodyFile, !FileManager.default.isReadableFile(atPath: bodyFile) {
                throw UsageError("--body '\(bodyFile)' is not a readable file")
            }
            request = .route(method: HTTPMethod(rawValue: route.method), target: route.path, headers: headers, bodyFile: bodyFile)
        } else {
            guard positional.count >= 2 else { throw UsageError("test needs a COMMAND (or --route METHOD PATH)") }
            let name = positional[1].hasPrefix("/") ? String(positional[1].dropFirst()) : positional[1]
            guard IntegrationName.isValid(name) else {
                throw UsageError("COMMAND must match [A-Za-z0-9_-]{1,64}, got '\(positional[1])'")
            }
            guard bodyFile == nil, headers.count == 0 else { throw UsageError("--body and --header are for --route") }
            let roomID = room ?? "1"
            guard !roomID.isEmpty, roomID.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }), roomID.count <= 18
            else { throw UsageError("--room must be a room id of digits, got '\(roomID)'") }
            request = .command(
                name: name, query: positional.dropFirst(2).joined(separator: " "), platform: platform, room: roomID,
                verified: verified)
        }
        if saveState, stateFile == nil { throw UsageError("--save-state needs --state FILE") }
        if let stateFile, !saveState, !FileManager.default.fileExists(atPath: stateFile) {
            throw UsageError("--state '\(stateFile)' does not exist (with --save-state it is created)")
        }
        var plugins = PluginSettings()
        plugins.mode = try CommandLineOptions.parsePluginMode(pluginMode)
        return TrialOptions(
            directory: directory, request: request, tokens: try CommandLineOptions.parseTokens(tokens),
            stateFile: stateFile, saveState: saveState, plugins: plugins,
            deadline: try CommandLineOptions.parseDeadline(deadline),
            logLevel: try CommandLineOptions.parseLogLevel(environment) ?? .debug)
    }
}
