import Foundation
import Logging
import Sandbox

/// How isolated plugins run: the worker binary, how many workers each plugin gets and how many calls may wait for
/// one, the limits a worker runs under, and when a plugin that keeps crashing is given up on.
public struct PluginIsolation: Sendable {
    /// The host's own binary, started as `EXECUTABLE plugin-worker …`; tests name the built `integration-host`.
    public var workerExecutable: String
    /// Workers per plugin, each running one call at a time.
    public var workers: Int
    /// Plugins given another number of workers than `workers`, by name.
    public var workersByPlugin: [String: Int] = [:]
    /// Calls that may wait for a worker; more get 503 with `Retry-After`.
    public var queueLimit: Int
    /// A worker's data limit (`RLIMIT_DATA`, bytes): heap and anonymous mappings.
    public var memoryLimit: Int?
    /// A worker's CPU limit (`RLIMIT_CPU`, seconds of CPU over its life): past it the worker dies (SIGXCPU) like a
    /// crash, which ends a plugin that keeps spinning after it answered (a call stuck in its own code is ended at
    /// its deadline first). A worker whose calls have taken a quarter of it is replaced after its call, so a busy,
    /// well-behaved plugin never meets it.
    public var cpuLimit: Int?
    /// The nice value workers run at, 0–19: by default below request handling, so a plugin spinning on every core
    /// still leaves the host most of the processor. A worker cannot lower it again.
    public var niceness: Int
    /// How long loading a plugin (its constructors and descriptor) may take.
    public var loadTimeout: Duration
    /// The lowest level of the plugin's log lines worth sending to the host.
    public var logLevel: LogLevel
    /// Crashes within `crashWindow` after which the plugin is marked failing until its file changes or SIGHUP.
    public var crashLimit: Int
    public var crashWindow: Duration
    /// The wait before restarting after a crash: `firstBackoff`, doubling while it keeps crashing, at most `maxBackoff`.
    public var firstBackoff: Duration
    public var maxBackoff: Duration
    /// How long a cancelled call (its caller went away, or its deadline passed) may still take before its worker is
    /// killed: a call that ends within it leaves its worker running for the next one, so callers who hang up cost
    /// no worker restarts; a call stuck past it loses its worker.
    public var cancelledCallGrace: Duration
    /// What the admin opened to some plugins (`--plugin-grant`); every other plugin's workers can read only system
    /// libraries and their plugin, write nothing, and open no socket.
    public var grants: [PluginGrant]

    public init(
        workerExecutable: String = "/proc/self/exe",
        workers: Int = max(2, ProcessInfo.processInfo.activeProcessorCount), queueLimit: Int = 64,
        memoryLimit: Int? = 512 << 20, cpuLimit: Int? = 600, niceness: Int = SandboxPolicy.pluginWorkerNiceness,
        loadTimeout: Duration = .seconds(10), logLevel: LogLevel = .info,
        crashLimit: Int = 5, crashWindow: Duration = .seconds(60), firstBackoff: Duration = .milliseconds(100),
        maxBackoff: Duration = .seconds(30), cancelledCallGrace: Duration = .milliseconds(250),
        grants: [PluginGrant] = []
    ) {
        self.workerExecutable = workerExecutable
        self.workers = workers
        self.queueLimit = queueLimit
        self.memoryLimit = memoryLimit
        self.cpuLimit = cpuLimit
        self.niceness = niceness
        self.loadTimeout = loadTimeout
        self.logLevel = logLevel
        self.crashLimit = crashLimit
        self.crashWindow = crashWindow
        self.firstBackoff = firstBackoff
        self.maxBackoff = maxBackoff
        self.cancelledCallGrace = cancelledCallGrace
        self.grants = grants
    }

    /// The number of workers the plugin called `name` gets.
    func workers(for name: String) -> Int { workersByPlugin[name] ?? workers }

    /// How long a worker's calls may take, added up, before it is replaced: a quarter of its CPU limit, so that
    /// even a plugin using a few threads in its calls is replaced before it reaches the limit.
    var workerRetirement: Duration? { cpuLimit.map { .milliseconds($0 * 250) } }

    /// The grants for the plugin called `name`; none for a worker that loads a plugin not yet named.
    func grant(for name: String?) -> PluginGrant? {
        guard let name else { return nil }
        let mine = grants.filter { $0.plugin == name }
        guard !mine.isEmpty else { return nil }
        return PluginGrant(
            plugin: name, network: mine.contains { $0.network }, read: mine.flatMap(\.read), write: mine.flatMap(\.write))
    }

    /// The worker's options after `FD PLUGIN`, for the plugin called `name` (`nil` while loading).
    func workerOptions(for name: String?) -> [String] {
        var options = [
            "--log-level", String(logLevel.rawValue), "--parent", String(getpid()), "--nice", String(niceness),
        ]
        if let memoryLimit { options += ["--memory", String(memoryLimit)] }
        if let cpuLimit { options += ["--cpu", String(cpuLimit)] }
        if let grant = grant(for: name) {
            if grant.network { options.append("--network") }
            options += grant.read.flatMap { ["--read", $0] } + grant.write.flatMap { ["--write", $0] }
        }
        return options
    }
}
