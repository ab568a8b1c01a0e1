import Foundation
import HTTPServer
import HostCore
import IntegrationContract
import Logging
import Manifests
import Platforms
import Sandbox

/// The command line, parsed and checked. Both forms of hipchat-integration work, and may be mixed:
/// `integration-host PORT INTEGRATIONS_PATH [TOKEN...]` and `--port/-p`, `--integrations/-i`, `--tokens/-t`.
public struct CommandLineOptions: Sendable {
    /// What the invocation asks for.
    public enum Action: Sendable {
        case run(HostConfiguration)
        case check(directory: URL)
        /// `list DIR [--json] [TOKEN...]`: what DIR holds, as the host would load it.
        case list(directory: URL, tokens: Tokens, json: Bool)
        /// `test DIR COMMAND [QUERY...]` or `test DIR --route METHOD PATH …`: one run, in process, reported.
        case test(TrialOptions)
        case help
        case version
    }

    /// Why the command line was refused: printed after the usage line, exit status 2. Never holds a token value.
    public struct UsageError: Error, CustomStringConvertible, Equatable {
        public let description: String
        public init(_ description: String) { self.description = description }
        public init(description: String) { self.description = description }
    }

    public static let usageLine =
        "usage: integration-host PORT INTEGRATIONS_PATH [TOKEN...] [--bind ADDR] [--logfile PATH] [--state-dir DIR] [--state FILE] [--admin-token T] [--hipchat-api URL] [--deadline SECONDS] [--max-exec N] [--exec-containment MODE] [--regex-threads N] [--max-connections-per-peer N] [--trusted-proxy CIDR]... [--max-body MIB] [--plugins isolated|in-process] [--plugin-workers N|NAME=N]... [--plugin-memory MIB] [--plugin-cpu SECONDS] [--plugin-nice N] [--plugin-grant NAME=GRANTS]... [--max-load MIB] [--storage-keys N] [--storage-mib MIB] [--delivery-log N] [--metrics-public]  (or: integration-host check DIR | list DIR [--json] [TOKEN...] | test DIR COMMAND [QUERY...] | test DIR --route METHOD PATH [--body FILE] [--header NAME:VALUE]...; --help for more)"

    public static let help = """
        \(usageLine)

        Runs the integration host: HipChat, Slack, Mattermost, Teams and webhook requests are dispatched to the
        integrations (JSON manifests, .so plugins) found in INTEGRATIONS_PATH.

        Arguments (positional, or as flags):
          PORT                      -p, --port PORT             port to listen on (1-65535)
          INTEGRATIONS_PATH         -i, --integrations PATH     directory of integrations
          TOKEN...                  -t, --tokens TOKEN...       tokens, NAME:VALUE (global) or
                                                                ROOM:INTEGRATION:VALUE (one room's integration)
        Options:
          -l, --logfile PATH        also append the log to PATH
          --bind ADDR               address to bind (default 0.0.0.0; IPv6 such as :: or ::1 works too)
          --state-dir DIR           directory for admin save/load files (default: ./state, created 0700)
          --state FILE              storage file in the state directory: loaded at start, saved on change and exit
          --admin-token T           token admin commands need (default: a global token named admin;
                                    or the INTEGRATION_HOST_ADMIN_TOKEN environment variable)
          --storage-keys N          keys each integration may store (default 10000)
          --storage-mib MIB         MiB of keys and values each integration may store (default 16); a write past
                                    either fails with 507 (manifests) or INTEGRATION_QUOTA_EXCEEDED (plugins)
          --max-load MIB            the largest storage file admin load (and --state at start) reads
                                    (default 256); a larger one gets 400 before it is read
          --delivery-log N          requests kept per integration for GET /integrations/NAME/deliveries and
                                    admin replay, saved beside the --state file (default 50, 0-10000; 0: none)
          --metrics-public          let GET /metrics answer without the admin token
          --hipchat-api URL         HipChat API base for replies to POST / (default https://api.hipchat.com)
          --deadline SECONDS        how long an integration may run before a 504 (default 10)
          --max-exec N              programs manifest exec actions may run at once; past it exec fails
                                    with 503 (default 128); one integration may run half of them unless
                                    its manifest sets limits.exec
          --exec-containment MODE   namespace: each exec program runs in user and PID namespaces of its own,
                                    so a timeout kills all it started, setsid or not; process-group: only its
                                    process group is killed (for scripts that need sudo or file capabilities).
                                    Default: namespace where the system allows it
          --regex-threads N         threads manifest regexes are matched on, off the request threads
                                    (default 2, 1-64); 32 matches per thread may wait, then 503
          --max-connections-per-peer N
                                    connections one client address (IPv6: one /64) may hold; past it the
                                    address's longest-idle connection is closed, or the new one gets 503
                                    (default 1000; 0: no cap; behind a reverse proxy every client has the
                                    proxy's address)
          --trusted-proxy CIDR      a reverse proxy (IPv4 or IPv6 address or block) whose X-Forwarded-For
                                    names the client: manifest ip rules, the admin loopback rule and 503
                                    pacing see that address (repeatable; default: none, the header is
                                    ignored); connection caps stay per TCP peer
          --max-body MIB            the largest request body /hooks/NAME and integrations' own routes take,
                                    1-1024 (default 1); a manifest's limits.body_mib sets its own; chat and
                                    host routes keep 1 MiB
          --plugins MODE            isolated (default): each compiled plugin runs in worker processes of its
                                    own, so a crash, hang or memory bomb costs one answer; in-process: the
                                    trusted, faster mode, where a plugin's crash takes the host with it
          --plugin-workers N        worker processes per plugin, each one call at a time (default: cores, at
                                    least 2); 64 more calls may wait, then 503. NAME=N: plugin NAME's own
                                    number (repeatable)
          --plugin-memory MIB       a worker's data limit in MiB (default 512; 0: none)
          --plugin-cpu SECONDS      a worker's CPU limit over its life (default 600; 0: none): past it the
                                    worker dies like a crash; one whose calls took a quarter of it is
                                    replaced between calls
          --plugin-nice N           the nice value workers run at, 0-19 (default 10: below request
                                    handling, so a plugin stuck in a loop leaves the host the processor)
          --plugin-grant NAME=G,... what plugin NAME's workers may reach besides system libraries and the
                                    plugin: network, read:/ABS/PATH, write:/ABS/PATH (repeatable; default:
                                    nothing: no sockets, no other files)
          -h, --help                this help
          --version                 the version

        Commands:
          check DIR                 load every integration in DIR, print problems (conflicts included), exit 1
                                    if there are any
          list DIR [--json] [TOKEN...]
                                    load DIR and print each integration: kind, file, commands, routes, auth,
                                    conflicts; then problems and mistyped TOKENs; exit 1 on problems
          test DIR COMMAND [QUERY...] [--platform hipchat|slack|mattermost|teams] [--room ROOM] [--verified]
          test DIR --route METHOD PATH [--body FILE] [--header NAME:VALUE]...
                                    load DIR and run one integration once, in process, with no listener: print
                                    the reply as each platform receives it (or the route's HTTP response), the
                                    manifest's evaluation trace, storage changes and the run's log lines; exit 0
                                    when it answered, 1 when it failed or nothing matched. Also takes
                                    --tokens TOKEN..., --state FILE [--save-state] (a storage file read at start,
                                    written back only with --save-state), --plugins MODE, --deadline SECONDS

        Environment:
          LOG_LEVEL                 trace, debug, info (default), notice, warning or error; at debug each
                                    manifest run's trace is logged
          LOG_FORMAT                text (default) or json: one JSON object a line
          INTEGRATION_HOST_ADMIN_TOKEN   the admin token, kept out of the process list
          Platform secrets such as SLACK_SIGNING_SECRET: see Sources/Platforms/README.md
        """

    /// Parses `arguments` (without the program name) and `environment`.
    public static func parse(_ arguments: [String], environment: [String: String]) throws(UsageError) -> Action {
        if arguments.first == "check" {
            guard arguments.count == 2 else { throw UsageError("check takes exactly one DIR") }
            return .check(directory: try directory(arguments[1], what: "check DIR"))
        }
        if arguments.first == "list" { return try list(Array(arguments.dropFirst())) }
        if arguments.first == "test" {
            return .test(try TrialOptions.parse(Array(arguments.dropFirst()), environment: environment))
        }
        var positional: [String] = []
        var port: String?
        var path: String?
        var tokens: [String] = []
        var bind = "0.0.0.0"
        var logFile: String?
        var stateDir: String?
        var stateFile: String?
        var adminToken = environment["INTEGRATION_HOST_ADMIN_TOKEN"]
        var hipchatAPI: String?
        var deadline: String?
        var maxExec: String?
        var execContainment: String?
        var regexThreads: String?
        var maxPerPeer: String?
        var maxBody: String?
        var pluginMode: String?
        var pluginWorkers: String?
        var pluginWorkersByName: [String] = []
        var pluginMemory: String?
        var pluginCPU: String?
        var pluginNice: String?
        var pluginGrants: [String] = []
        var trustedProxies: [IPRange] = []
        var maxLoad: String?
        var storageKeys: String?
        var storageMiB: String?
        var deliveryLog: String?
        var metricsPublic = false
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
            case "-h", "--help": return .help
            case "--version": return .version
            case "-p", "--port": try once(&port, "--port")
            case "-i", "--integrations": try once(&path, "--integrations")
            case "-l", "--logfile": try once(&logFile, "--logfile")
            case "--bind": bind = try value(argument)
            case "--state-dir": try once(&stateDir, "--state-dir")
            case "--state": try once(&stateFile, "--state")
            case "--admin-token": adminToken = try value(argument)
            case "--hipchat-api": try once(&hipchatAPI, "--hipchat-api")
            case "--deadline": try once(&deadline, "--deadline")
            case "--max-exec": try once(&maxExec, "--max-exec")
            case "--exec-containment": try once(&execContainment, "--exec-containment")
            case "--regex-threads": try once(&regexThreads, "--regex-threads")
            case "--max-connections-per-peer": try once(&maxPerPeer, "--max-connections-per-peer")
            case "--max-body": try once(&maxBody, "--max-body")
            case "--plugins": try once(&pluginMode, "--plugins")
            case "--plugin-workers":
                let text = try value(argument)
                if text.contains("=") {
                    pluginWorkersByName.append(text)
                } else {
                    guard pluginWorkers == nil else { throw UsageError("--plugin-workers given twice") }
                    pluginWorkers = text
                }
            case "--plugin-memory": try once(&pluginMemory, "--plugin-memory")
            case "--plugin-cpu": try once(&pluginCPU, "--plugin-cpu")
            case "--plugin-nice": try once(&pluginNice, "--plugin-nice")
            case "--plugin-grant": pluginGrants.append(try value(argument))
            case "--trusted-proxy":
                let text = try value(argument)
                guard let range = IPRange(text) else {
                    throw UsageError("--trusted-proxy must be an IPv4 or IPv6 address or CIDR block, got '\(text)'")
                }
                trustedProxies.append(range)
            case "--max-load": try once(&maxLoad, "--max-load")
            case "--storage-keys": try once(&storageKeys, "--storage-keys")
            case "--storage-mib": try once(&storageMiB, "--storage-mib")
            case "--delivery-log": try once(&deliveryLog, "--delivery-log")
            case "--metrics-public": metricsPublic = true
            case "-t", "--tokens":
                var taken = 0
                while index + 1 < arguments.count, !arguments[index + 1].hasPrefix("-") {
                    index += 1
                    tokens.append(arguments[index])
                    taken += 1
                }
                guard taken > 0 else { throw UsageError("--tokens needs at least one TOKEN") }
            default:
                guard !argument.hasPrefix("-") || argument == "-" else { throw UsageError("unknown option \(argument)") }
                positional.append(argument)
            }
            index += 1
        }

        var rest = positional[...]
        if port == nil, let first = rest.first {
            port = first
            rest = rest.dropFirst()
        }
        if path == nil, let next = rest.first {
            path = next
            rest = rest.dropFirst()
        }
        tokens.append(contentsOf: rest)

        guard let port else { throw UsageError("missing PORT") }
        guard let portNumber = Int(port) else { throw UsageError("PORT must be a number, got '\(port)'") }
        guard (1...65535).contains(portNumber) else { throw UsageError("PORT must be 1-65535, got \(portNumber)") }
        guard let path else { throw UsageError("missing INTEGRATIONS_PATH") }
        let integrations = try directory(path, what: "INTEGRATIONS_PATH")
        let parsedTokens = try parseTokens(tokens)
        guard isIPAddress(bind) else { throw UsageError("--bind must be an IPv4 or IPv6 address, got '\(bind)'") }
        let stateDirectory = try stateDir.map { (dir: String) throws(UsageError) in try directory(dir, what: "--state-dir") }
            ?? HostConfiguration.defaultStateDirectory
        if let stateFile {
            do {
                // The default directory may not exist yet (the host creates it at start): then only the name is checked.
                if FileManager.default.fileExists(atPath: stateDirectory.path) {
                    _ = try StateDirectory(root: stateDirectory).resolve(stateFile)
                } else {
                    try StateDirectory.checkName(stateFile)
                }
            } catch {
                throw UsageError("--state \(stateFile): \(error)")
            }
        }
        var api = URL(string: "https://api.hipchat.com")!
        if let hipchatAPI {
            guard let url = URL(string: hipchatAPI), url.scheme == "http" || url.scheme == "https", url.host != nil else {
                throw UsageError("--hipchat-api must be an http(s) URL, got '\(hipchatAPI)'")
            }
            api = url
        }
        let deadlineDuration = try parseDeadline(deadline)
        var execLimit = ExecSlots.defaultLimit
        if let maxExec {
            guard let number = Int(maxExec), (1...100_000).contains(number) else {
                throw UsageError("--max-exec must be a whole number in 1-100000, got '\(maxExec)'")
            }
            execLimit = number
        }
        var containment: ExecContainment?
        if let execContainment {
            guard let mode = ExecContainment(rawValue: execContainment) else {
                throw UsageError("--exec-containment must be namespace or process-group, got '\(execContainment)'")
            }
            containment = mode
        }
        var regexThreadCount = RegexPool.defaultThreads
        if let regexThreads {
            guard let number = Int(regexThreads), (1...64).contains(number) else {
                throw UsageError("--regex-threads must be a whole number in 1-64, got '\(regexThreads)'")
            }
            regexThreadCount = number
        }
        var connectionsPerPeer = HTTPServerConfiguration.defaultMaxConnectionsPerPeer
        if let maxPerPeer {
            guard let number = Int(maxPerPeer), (0...1_000_000).contains(number) else {
                throw UsageError("--max-connections-per-peer must be a whole number in 0-1000000, got '\(maxPerPeer)'")
            }
            connectionsPerPeer = number
        }
        var webhookBodyLimit = WebhookRoutes.standardBodyLimit
        if let maxBody {
            let range = RequestBodyLimit.mebibytes
            guard let number = Int(maxBody), range.contains(number) else {
                throw UsageError("--max-body must be a whole number of MiB in \(range.lowerBound)-\(range.upperBound), got '\(maxBody)'")
            }
            webhookBodyLimit = RequestBodyLimit.bytes(mebibytes: number)
        }
        var plugins = PluginSettings()
        plugins.mode = try parsePluginMode(pluginMode)
        if let pluginWorkers {
            guard let number = Int(pluginWorkers), (1...256).contains(number) else {
                throw UsageError("--plugin-workers must be a whole number in 1-256, got '\(pluginWorkers)'")
            }
            plugins.isolation.workers = number
        }
        for entry in pluginWorkersByName {
            let (name, count) = (entry.prefix { $0 != "=" }, entry.drop { $0 != "=" }.dropFirst())
            guard IntegrationName.isValid(String(name)), let number = Int(count), (1...256).contains(number) else {
                throw UsageError("--plugin-workers NAME=N needs a plugin name and a whole number in 1-256, got '\(entry)'")
            }
            guard plugins.isolation.workersByPlugin.updateValue(number, forKey: String(name)) == nil else {
                throw UsageError("--plugin-workers given twice for \(name)")
            }
        }
        if let pluginMemory {
            guard let mebibytes = Int(pluginMemory), (0...1_048_576).contains(mebibytes) else {
                throw UsageError("--plugin-memory must be a number of MiB in 0-1048576, got '\(pluginMemory)'")
            }
            plugins.isolation.memoryLimit = mebibytes == 0 ? nil : mebibytes << 20
        }
        if let pluginCPU {
            guard let seconds = Int(pluginCPU), (0...1_000_000).contains(seconds) else {
                throw UsageError("--plugin-cpu must be a whole number of seconds in 0-1000000, got '\(pluginCPU)'")
            }
            plugins.isolation.cpuLimit = seconds == 0 ? nil : seconds
        }
        if let pluginNice {
            guard let niceness = Int(pluginNice), (0...19).contains(niceness) else {
                throw UsageError("--plugin-nice must be a whole number in 0-19, got '\(pluginNice)'")
            }
            plugins.isolation.niceness = niceness
        }
        for grant in pluginGrants {
            do {
                plugins.isolation.grants.append(try PluginGrant(parsing: grant))
            } catch {
                throw UsageError("\(error)")
            }
        }
        var maxLoadBytes = AdminCommands.defaultMaxLoadBytes
        if let maxLoad {
            guard let mebibytes = Int(maxLoad), (1...65_536).contains(mebibytes) else {
                throw UsageError("--max-load must be a number of MiB in 1-65536, got '\(maxLoad)'")
            }
            maxLoadBytes = mebibytes << 20
        }
        var storageQuota = StorageQuota.standard
        if let storageKeys {
            guard let keys = Int(storageKeys), (1...10_000_000).contains(keys) else {
                throw UsageError("--storage-keys must be a whole number in 1-10000000, got '\(storageKeys)'")
            }
            storageQuota.maxKeys = keys
        }
        if let storageMiB {
            guard let mebibytes = Int(storageMiB), (1...65_536).contains(mebibytes) else {
                throw UsageError("--storage-mib must be a number of MiB in 1-65536, got '\(storageMiB)'")
            }
            storageQuota.maxBytes = mebibytes << 20
        }
        if let empty = PlatformSecrets.emptySecrets(in: environment).first {
            throw UsageError("\(empty) is set but empty: an empty secret would leave its route open; unset it or give it a value")
        }
        if let admin = adminToken, admin.isEmpty { throw UsageError("--admin-token must not be empty") }
        let logLevel = try parseLogLevel(environment) ?? .info
        var logFormat = LogFormat.text
        if let name = environment["LOG_FORMAT"], !name.isEmpty {
            guard let format = LogFormat(rawValue: name.lowercased()) else {
                throw UsageError("LOG_FORMAT must be text or json; got '\(name)'")
            }
            logFormat = format
        }
        var configuration = HostConfiguration(
            port: portNumber, bindAddress: bind, integrationsPath: integrations, tokens: parsedTokens,
            logFile: logFile, stateDirectory: stateDirectory, stateFile: stateFile, adminToken: adminToken,
            hipchatAPI: api, deadline: deadlineDuration, maxExec: execLimit, execContainment: containment,
            regexThreads: regexThreadCount, maxConnectionsPerPeer: connectionsPerPeer,
            trustedProxies: TrustedProxies(trustedProxies), webhookBodyLimit: webhookBodyLimit, plugins: plugins,
            maxLoadBytes: maxLoadBytes, storageQuota: storageQuota, logLevel: logLevel)
        configuration.logFormat = logFormat
        configuration.metricsPublic = metricsPublic
        if let deliveryLog {
            guard let count = Int(deliveryLog), (0...10_000).contains(count) else {
                throw UsageError("--delivery-log must be a whole number in 0-10000, got '\(deliveryLog)'")
            }
            configuration.deliveryLogSize = count
        }
        return .run(configuration)
    }

    /// `list`'s arguments: DIR, then `--json` and tokens in any order.
    private static func list(_ arguments: [String]) throws(UsageError) -> Action {
        guard let path = arguments.first else { throw UsageError("list needs a DIR") }
        let rest = arguments.dropFirst()
        let json = rest.contains("--json")
        if let unknown = rest.first(where: { $0.hasPrefix("-") && $0 != "--json" }) {
            throw UsageError("unknown option \(unknown) for list")
        }
        let tokens: Tokens
        do {
            tokens = try Tokens(parsing: rest.filter { $0 != "--json" })
        } catch {
            throw UsageError(error.description)
        }
        return .list(directory: try directory(path, what: "list DIR"), tokens: tokens, json: json)
    }

    /// The TOKEN arguments, checked.
    static func parseTokens(_ arguments: [String]) throws(UsageError) -> Tokens {
        do {
            return try Tokens(parsing: arguments)
        } catch {
            throw UsageError(error.description)
        }
    }

    /// `--deadline SECONDS`, default 10 s.
    static func parseDeadline(_ text: String?) throws(UsageError) -> Duration {
        guard let text else { return .seconds(10) }
        guard let seconds = Double(text), seconds > 0, seconds <= 3600 else {
            throw UsageError("--deadline must be a number of seconds in (0, 3600], got '\(text)'")
        }
        return .milliseconds(Int64(seconds * 1000))
    }

    /// `--plugins MODE`, default isolated.
    static func parsePluginMode(_ text: String?) throws(UsageError) -> PluginSettings.Mode {
        guard let text else { return PluginSettings().mode }
        guard let mode = PluginSettings.Mode(rawValue: text) else {
            throw UsageError("--plugins must be isolated or in-process, got '\(text)'")
        }
        return mode
    }

    /// `LOG_LEVEL` from the environment, `nil` when unset or empty.
    static func parseLogLevel(_ environment: [String: String]) throws(UsageError) -> LogLevel? {
        guard let name = environment["LOG_LEVEL"], !name.isEmpty else { return nil }
        guard let level = LogLevel(name: name) else {
            throw UsageError("LOG_LEVEL must be one of trace, debug, info, notice, warning, error; got '\(name)'")
        }
        return level
    }

    static func directory(_ path: String, what: String) throws(UsageError) -> URL {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw UsageError("\(what) '\(path)' does not exist")
        }
        guard isDirectory.boolValue else { throw UsageError("\(what) '\(path)' is not a directory") }
        return URL(fileURLWithPath: path).standardizedFileURL
    }

    private static func isIPAddress(_ text: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, text, &v4) == 1 || inet_pton(AF_INET6, text, &v6) == 1
    }
}
