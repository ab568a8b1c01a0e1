import CIntegrationABI
import Glibc
import IntegrationContract
import JSON
import Logging
import Sandbox

/// The worker process that runs one plugin for the host: `integration-host plugin-worker FD PLUGIN [--log-level N]
/// [--memory BYTES] [--cpu SECONDS] [--nice N] [--parent PID] [--network] [--read PATH]… [--write PATH]…`. It
/// confines itself (`Sandbox`: it dies with the host; it can read system libraries and its plugin, and what it was
/// granted; it can write only what it was granted; no sockets unless granted network; its memory and CPU are limited;
/// it runs at nice N, 10 by default, and holds no capabilities), loads the plugin, reports its descriptor and what the
/// kernel enforced, then runs one call at a time as the host sends them over the socket `FD`, turning the plugin's
/// host-API calls into frames (storage, log) or answering them itself (reply, error, token: all in the call's
/// request). A crash, a hang or a memory bomb ends this process, never the host.
public enum PluginWorker {
    /// The hidden subcommand of the host's binary that runs a worker.
    public static let subcommand = "plugin-worker"

    /// Runs the worker with `arguments` (after the subcommand) and returns its exit status.
    public static func main(_ arguments: [String]) -> Int32 {
        guard let options = Options(arguments) else {
            writeToStderr(
                "usage: integration-host \(subcommand) FD PLUGIN [--log-level N] [--memory BYTES] [--cpu SECONDS] "
                    + "[--nice N] [--parent PID] [--network] [--read PATH]... [--write PATH]...")
            return 2
        }
        let channel = PluginChannel(fd: options.fd)
        Sandbox.dieWithParent(expectedParent: options.parent)
        var policy = SandboxPolicy.pluginWorker(pluginPath: options.plugin).granting(options.grant)
        policy.memoryLimit = options.memory
        policy.cpuLimit = options.cpu
        policy.niceness = options.niceness
        let confinement: SandboxReport
        do {
            confinement = try Sandbox.apply(policy)
        } catch {
            try? channel.send(.loadFailed, Array("the worker could not confine itself: \(error)".utf8))
            return 1
        }
        let descriptor: PluginDescriptor
        switch load(options.plugin) {
        case .success(let loaded):
            descriptor = loaded
        case .failure(let failure):
            try? channel.send(.loadFailed, Array(failure.reason.utf8))
            return 1
        }
        do {
            var loaded = PluginInfo(descriptor)
            loaded.confinement = confinement
            try channel.send(.loaded, loaded.jsonValue.serializedBytes())
            var prelude = CallPrelude()
            while true {
                let frame = try channel.receive()
                if frame.kind == .prelude, let json = try? JSONValue(parsing: frame.payload) {
                    prelude = CallPrelude(json: json)
                    continue
                }
                guard frame.kind == .call else { exit("the host sent a \(frame.kind) frame where a call belongs") }
                let result = call(
                    descriptor, request: frame.payload, prelude: prelude, channel: channel, logLevel: options.logLevel)
                prelude = CallPrelude()
                try channel.send(.result, result.serializedBytes())
            }
        } catch {
            // The host closed the socket (it retired this worker, or it is gone): nothing is left to do.
            return 0
        }
    }

    /// Ends the worker at once with a last line on stderr (the host logs the exit).
    static func exit(_ reason: String) -> Never {
        writeToStderr("plugin worker: \(reason)")
        Glibc.exit(3)
    }

    private static func writeToStderr(_ line: String) {
        let bytes = Array((line + "\n").utf8)
        _ = bytes.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
    }

    /// Why the plugin could not be loaded, for the host's log.
    private struct LoadFailure: Error {
        let reason: String
        init(_ reason: String) { self.reason = reason }
    }

    private static func load(_ path: String) -> Result<PluginDescriptor, LoadFailure> {
        let library: DynamicLibrary
        do {
            library = try DynamicLibrary(path: path)
        } catch {
            let reason = error.description.replacingOccurrences(of: path + ": ", with: "")
            return .failure(LoadFailure("not a loadable shared library (dlopen: \(reason))"))
        }
        guard let symbol = library.symbol(INTEGRATION_PLUGIN_SYMBOL) else {
            return .failure(LoadFailure("not a plugin: it does not export \(INTEGRATION_PLUGIN_SYMBOL)"))
        }
        let entry = unsafeBitCast(symbol, to: integration_plugin_v1_fn.self)
        guard let pointer = entry() else { return .failure(LoadFailure("\(INTEGRATION_PLUGIN_SYMBOL)() returned NULL")) }
        do {
            return .success(try PluginDescriptor(at: UnsafeRawPointer(pointer)))
        } catch {
            return .failure(LoadFailure(error.description))
        }
    }

    /// One call: the request's tokens answer `token`, storage (with what the prelude holds) and log go to the host,
    /// the outcome becomes the `result` frame: `{"status": 0, "reply": {"text", "options"} | null}` or
    /// `{"status": 400…599, "error"}`, with `"unread": [K]` for the prelude's keys the call did not use.
    private static func call(
        _ descriptor: PluginDescriptor, request: [UInt8], prelude: CallPrelude, channel: PluginChannel, logLevel: LogLevel
    ) -> JSONValue {
        let log = PluginCall.Log(
            isEnabled: { $0 >= logLevel },
            write: { level, message in
                // Sent with the next storage or result frame: a log line costs the host no wakeup of its own.
                try? channel.post(.log, [UInt8(level.rawValue)] + Array(message.utf8))
            })
        let storage = RemoteStorage(channel: channel, prelude: prelude)
        let call = PluginCall(
            storage: storage, log: log,
            tokens: {
                let picked = try? JSONValue.pick(tokenPaths, from: request)
                return (Tokens(json: picked?["all_tokens"] ?? .null), picked?["token"]?.stringValue)
            })
        var result: JSONValue
        switch call.perform(descriptor.handle, request: request + [0], count: request.count, plugin: descriptor.name) {
        case .reply(let reply):
            result = ["status": 0, "reply": reply.map { ["text": .string($0.text), "options": $0.options ?? .null] } ?? .null]
        case .failure(let status, let message):
            result = ["status": .number(Double(status)), "error": .string(message)]
        }
        let unread = storage.unread
        if !unread.isEmpty, case .object(var members) = result {
            members["unread"] = .array(unread.map(JSONValue.string))
            result = .object(members)
        }
        return result
    }

    private static let tokenPaths = JSONPaths(["token", "all_tokens"])

    private struct Options {
        let fd: Int32
        let plugin: String
        var logLevel = LogLevel.info
        var memory: Int?
        var cpu: Int?
        var niceness = SandboxPolicy.pluginWorkerNiceness
        var parent: Int32?
        var grant = PluginGrant(plugin: "")

        init?(_ arguments: [String]) {
            guard arguments.count >= 2, let fd = Int32(arguments[0]), fd > 2 else { return nil }
            self.fd = fd
            plugin = arguments[1]
            var rest = arguments.dropFirst(2)
            while let flag = rest.popFirst() {
                if flag == "--network" {
                    grant.network = true
                    continue
                }
                guard let value = rest.popFirst() else { return nil }
                switch flag {
                case "--read": grant.read.append(value)
                case "--write": grant.write.append(value)
                case "--log-level": logLevel = Int(value).flatMap(LogLevel.init(rawValue:)) ?? .info
                case "--memory":
                    guard let bytes = Int(value) else { return nil }
                    memory = bytes
                case "--cpu":
                    guard let seconds = Int(value), seconds > 0 else { return nil }
                    cpu = seconds
                case "--nice":
                    guard let value = Int(value), (0...19).contains(value) else { return nil }
                    niceness = value
                case "--parent":
                    guard let pid = Int32(value) else { return nil }
                    parent = pid
                default: return nil
                }
            }
        }
    }
}
