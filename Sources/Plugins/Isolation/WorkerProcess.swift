import Dispatch
import Foundation
import Glibc
import HTTPTypes
import IntegrationContract
import JSON
import Logging
import ProcessSpawning
import Scheduling
import Synchronization

/// One plugin worker process, seen from the host: its pid, its end of the socketpair, and a thread of its own that
/// does the blocking reads and writes, so a stuck worker holds that thread alone — never a handler thread or
/// another plugin's.
final class WorkerProcess: Sendable {
    /// How a worker process ended, for the caller's answer and the log.
    struct Exit: Sendable, CustomStringConvertible {
        /// The signal that ended it, if one did.
        let signal: Int32?
        /// Its exit status otherwise.
        let status: Int32
        /// The most memory it held (ru_maxrss, bytes).
        let peakMemory: Int

        var description: String {
            if let signal { return "signal \(signal)" }
            return "exit \(status)"
        }
    }

    /// How one call ended.
    enum CallOutcome: Sendable {
        case reply(Reply?)
        case failure(IntegrationError)
        /// The worker died during the call (crashed, killed at its deadline, or broke the protocol).
        case died(Exit, protocolError: String?)
    }

    let pid: pid_t
    private let channel: PluginChannel
    private let thread: JobThread
    private let exited = Mutex<Exit?>(nil)
    private let calls = Mutex(Duration.zero)

    /// How long this worker's calls have taken, added up: what its supervisor replaces it by before the worker
    /// reaches its CPU limit (a call's CPU time is at most its wall time, per thread).
    var callTime: Duration { calls.withLock { $0 } }

    func addCallTime(_ duration: Duration) { calls.withLock { $0 += duration } }

    private init(pid: pid_t, channel: PluginChannel, thread: JobThread) {
        self.pid = pid
        self.channel = channel
        self.thread = thread
    }

    /// Starts a worker for the plugin file at `plugin` and waits, on the worker's own thread, for it to report what
    /// it loaded. `timeout` bounds the load (a plugin may hang in its constructors): the worker is killed then.
    static func start(_ launch: Launch) async -> Result<(WorkerProcess, PluginInfo), IntegrationError> {
        let thread = JobThread(name: "plugin-\(launch.name)")
        return await thread.perform { start(launch, on: thread) }
    }

    /// `start`, waiting on the calling thread: for the catalog's synchronous load.
    static func startBlocking(_ launch: Launch) -> Result<(WorkerProcess, PluginInfo), IntegrationError> {
        let thread = JobThread(name: "plugin-\(launch.name)")
        return thread.performBlocking { start(launch, on: thread) }
    }

    /// What starting a worker takes.
    struct Launch: Sendable {
        /// The host's own binary.
        let executable: String
        /// The plugin's private copy.
        let plugin: String
        /// For thread names and messages.
        let name: String
        /// The worker's options after `FD PLUGIN`.
        let options: [String]
        /// How long loading may take before the worker is killed.
        let timeout: Duration
    }

    private static func start(
        _ launch: Launch, on thread: JobThread
    ) -> Result<(WorkerProcess, PluginInfo), IntegrationError> {
        var sockets: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &sockets) == 0 else {
            thread.stop()
            return .failure(.internalError("socketpair: \(String(cString: strerror(errno)))"))
        }
        let spawned = WorkerProcess.spawn(
            launch.executable, arguments: [PluginWorker.subcommand, "3", launch.plugin] + launch.options,
            socket: sockets[1])
        close(sockets[1])
        guard case .success(let pid) = spawned else {
            close(sockets[0])
            thread.stop()
            if case .failure(let error) = spawned { return .failure(error) }
            return .failure(.internalError("cannot start a plugin worker"))
        }
        let process = WorkerProcess(pid: pid, channel: PluginChannel(fd: sockets[0]), thread: thread)
        let watchdog = DeadlineScheduler.shared.schedule(after: launch.timeout) { _ = Glibc.kill(pid, SIGKILL) }
        defer { DeadlineScheduler.shared.cancel(watchdog) }
        do {
            let frame = try process.channel.receive()
            switch frame.kind {
            case .loaded:
                guard let json = try? JSONValue(parsing: frame.payload) else {
                    process.retire()
                    return .failure(.internalError("the worker's descriptor is not JSON"))
                }
                do {
                    return .success((process, try PluginInfo(json: json)))
                } catch {
                    process.retire()
                    return .failure(.internalError(error.description))
                }
            case .loadFailed:
                let reason = String(decoding: frame.payload.prefix(2000), as: UTF8.self)
                process.retire()
                return .failure(.internalError(reason))
            default:
                process.retire()
                return .failure(.internalError("the worker broke the protocol (a \(frame.kind) frame first)"))
            }
        } catch {
            let exit = process.retire()
            return .failure(.internalError("the worker died while loading the plugin (\(exit))"))
        }
    }

    /// Runs one call: sends the request and serves the worker's storage and log frames against `storage` and
    /// `log` until its result comes back or it dies.
    ///
    /// The calling thread (a handler thread) serves the conversation itself while the worker keeps it going: as
    /// long as each frame comes within `PluginChannel.patienceMilliseconds` (2 ms) and the whole takes at most
    /// `servedInline` (10 ms). A fast call so costs no thread hop at all, only the worker's wakeups. A worker that
    /// pauses longer (a plugin waiting on the network, or stuck) is handed to the worker's own thread, so it holds
    /// that thread and nothing else; so is every write larger than 64 KiB (a large request, a large stored value),
    /// which could wait on a worker that does not read.
    ///
    /// The call is preceded by its prelude (`CallPrelude`): the values of the keys in `prefetched` and the room the
    /// namespace's headroom grants.
    func call(
        request: [UInt8], storage: any IntegrationStorage, prefetched: PrefetchedKeys, log: IntegrationLogger
    ) async -> CallOutcome {
        let prelude = prefetched.prelude(from: storage)
        let storage = ServedStorage(storage: storage, prefetched: prefetched, room: prelude.room)
        if !prelude.isEmpty {
            do {
                try channel.post(.prelude, prelude.jsonValue.serializedBytes())
            } catch {
                return .died(retire(), protocolError: nil)
            }
        }
        var pending: (PluginChannel.Kind, [UInt8])? = (.call, request)
        if request.count <= PluginChannel.maxPosted {
            do {
                try channel.send(.call, request)
            } catch {
                return .died(retire(), protocolError: nil)
            }
            let budget = ContinuousClock.now + WorkerProcess.servedInline
            switch serve(storage: storage, log: log, until: budget) {
            case .finished(let outcome): return outcome
            case .handOff(let write): pending = write
            }
        }
        return await thread.perform { [self, pending] in
            if let (kind, payload) = pending {
                do {
                    try channel.send(kind, payload)
                } catch {
                    return .died(retire(), protocolError: nil)
                }
            }
            switch serve(storage: storage, log: log, until: nil) {
            case .finished(let outcome): return outcome
            case .handOff: return .died(retire(), protocolError: "the worker's thread gave the call back")
            }
        }
    }

    /// How long a handler thread serves one call's frames before handing the call to the worker's thread.
    static let servedInline = Duration.milliseconds(10)

    /// How serving a call's frames ended: with the call's outcome, or handed to the worker's thread (with the frame
    /// to write first, if one was too large to write from a handler thread).
    private enum Served {
        case finished(CallOutcome)
        case handOff(write: (PluginChannel.Kind, [UInt8])?)
    }

    /// Serves frames until the result (or the worker's death). With a `budget` it hands off when the budget passed,
    /// the worker paused longer than the channel's patience, or an answer is too large; without one it waits as
    /// long as it takes.
    private func serve(storage: ServedStorage, log: IntegrationLogger, until budget: ContinuousClock.Instant?)
        -> Served
    {
        do {
            while true {
                guard let frame = try channel.receive(patient: budget == nil) else { return .handOff(write: nil) }
                switch frame.kind {
                case .storage:
                    switch storage.serve(frame.payload) {
                    case .answer(let answer):
                        if budget != nil, answer.count > PluginChannel.maxPosted {
                            return .handOff(write: (.storageResult, answer))
                        }
                        try channel.send(.storageResult, answer)
                    case .posted:
                        break
                    case .violation(let reason):
                        return .finished(.died(retire(), protocolError: reason))
                    }
                case .log:
                    guard let level = frame.payload.first.flatMap({ LogLevel(rawValue: Int($0)) }) else { continue }
                    log.log(level, String(decoding: frame.payload.dropFirst(), as: UTF8.self))
                case .result:
                    let result = try? JSONValue(parsing: frame.payload)
                    storage.callEnded(unread: result?["unread"]?.arrayValue?.compactMap(\.stringValue) ?? [])
                    return .finished(WorkerProcess.outcome(result))
                default:
                    return .finished(.died(retire(), protocolError: "a \(frame.kind) frame during a call"))
                }
                if let budget, ContinuousClock.now > budget { return .handOff(write: nil) }
            }
        } catch PluginChannel.Failure.malformed(let reason) {
            return .finished(.died(retire(), protocolError: reason))
        } catch {
            return .finished(.died(retire(), protocolError: nil))
        }
    }

    /// Whether the process is still running (or at least has not exited yet): asks the kernel without reaping it.
    var isAlive: Bool {
        guard exited.withLock({ $0 }) == nil else { return false }
        var info = siginfo_t()
        // With WNOHANG and nothing to report, Linux leaves si_signo 0; an exited child reports SIGCHLD.
        return waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_signo == 0
    }

    /// Kills the worker now (a call passed its deadline, or the plugin is being replaced); the call in flight, if
    /// any, ends as `.died`.
    func kill() { _ = Glibc.kill(pid, SIGKILL) }

    /// Ends the worker for good: kills it, reaps it, closes the socket and stops its thread. Returns how it ended;
    /// later calls return the same.
    @discardableResult
    func retire() -> Exit {
        if let known = exited.withLock({ $0 }) { return known }
        _ = Glibc.kill(pid, SIGKILL)
        var status: Int32 = 0
        var usage = rusage()
        while wait4(pid, &status, 0, &usage) < 0 && errno == EINTR {}
        let signal = status & 0x7F
        let exit = Exit(
            signal: signal != 0 && signal != 0x7F ? signal : nil, status: (status >> 8) & 0xFF,
            peakMemory: Int(usage.ru_maxrss) * 1024)
        let first = exited.withLock { stored -> Bool in
            guard stored == nil else { return false }
            stored = exit
            return true
        }
        if first {
            channel.shutDown()
            thread.stop()
        }
        return exited.withLock { $0 } ?? exit
    }

    private static func outcome(_ result: JSONValue?) -> CallOutcome {
        guard let result, let status = result["status"]?.intValue else {
            return .failure(.badGateway("the plugin worker sent a malformed result"))
        }
        guard status == 0 else {
            let code = (400...599).contains(status) ? status : 500
            return .failure(IntegrationError(status: HTTPStatus(code), result["error"]?.stringValue ?? "failed"))
        }
        guard let body = result["reply"], case .object = body else { return .reply(nil) }
        var reply = Reply(body["text"]?.stringValue ?? "")
        if case .object(let options)? = body["options"], !reply.apply(options: options) {
            return .failure(.badGateway("the plugin worker sent invalid reply options"))
        }
        return .reply(reply)
    }

    /// Starts `executable` with the socket as descriptor 3 and nothing else open but stdin, stdout (both
    /// `/dev/null`) and stderr (the host's, for the Swift runtime's last words).
    private static func spawn(_ executable: String, arguments: [String], socket: Int32) -> Result<pid_t, IntegrationError> {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, socket, 3)
        _ = SpawnFunctions.addCloseFrom(&actions, 4)
        var attributes = posix_spawnattr_t()
        SpawnFunctions.cleanSignalAttributes(&attributes, defaults: [SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGCHLD])
        defer { posix_spawnattr_destroy(&attributes) }
        let argv = [executable] + arguments
        let environment = ProcessInfo.processInfo.environment.filter { $0.key != "SWIFT_BACKTRACE" }
            .map { "\($0.key)=\($0.value)" } + ["SWIFT_BACKTRACE=enable=no"]
        var pid: pid_t = 0
        let rc = SpawnFunctions.withCStrings(argv) { argvPointer in
            SpawnFunctions.withCStrings(environment) { envPointer in
                posix_spawn(&pid, executable, &actions, &attributes, argvPointer, envPointer)
            }
        }
        guard rc == 0 else {
            return .failure(.internalError("cannot start the plugin worker \(executable): \(String(cString: strerror(rc)))"))
        }
        return .success(pid)
    }
}
