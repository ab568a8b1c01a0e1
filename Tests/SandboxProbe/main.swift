// sandbox-probe: confines itself with a policy given on its command line, then tries actions and prints one line
// per action to stdout: "ACTION ARGS: ok", "ACTION ARGS: ERRNO-NAME" or "ACTION ARGS: failed: WHY". SandboxTests
// runs it as a child process, since a sandbox binds its process for good.
//
//   sandbox-probe [--plugin PATH] [--grant ITEMS] [--memory MIB] [--cpu SECONDS] [--without WALL]
//                 [--no-sandbox] [--thread] [--die-with-parent PID] [--] ACTION...
//
// The policy is SandboxPolicy.pluginWorker(pluginPath:) for --plugin (default: the probe itself), widened by --grant
// (a --plugin-grant value without "NAME="), with the limits given. --without landlock-network or seccomp leaves
// that wall out, so each can be seen refusing alone. --thread starts a thread before the sandbox; --die-with-parent
// asks for SIGKILL when PID, the parent, exits. The report goes to stderr; a refused policy prints
// "apply: WHY" and exits 2; bad usage exits 64.
//
// Actions: read PATH, write PATH, connect IPV4 PORT, bind-tcp, socket-inet, socket-inet6, socketpair,
// connect-unix PATH, connect-abstract NAME, resolve HOST, signal PID, alloc MIB, map-shared MIB, dlopen PATH,
// thread, ready (just "ready: ok"), spin (burns CPU until a limit ends the process), nice (prints the nice value),
// thread-nice (a new thread's), renice N (sets it), lift-memory-limit (RLIMIT_DATA back to unlimited).
import CSandbox
import Sandbox

#if canImport(Glibc)
    import Glibc
#endif

/// Writes `line` to `fd` in one system call, so each line is out even if the process is killed after it.
func emit(_ line: String, to fd: Int32 = 1) {
    let bytes = Array((line + "\n").utf8)
    _ = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
}

func usage(_ message: String) -> Never {
    emit("sandbox-probe: \(message)", to: 2)
    exit(64)
}

func outcome(_ succeeded: Bool) -> String { succeeded ? "ok" : Errno.name(errno) }

/// The command line, read one word at a time.
struct Words {
    var rest = CommandLine.arguments.dropFirst()

    mutating func take(_ what: String) -> String {
        guard let value = rest.popFirst() else { usage("\(what) is missing") }
        return value
    }

    mutating func takeNumber(_ what: String) -> Int {
        let text = take(what)
        guard let number = Int(text) else { usage("\(what) '\(text)' is not a number") }
        return number
    }
}

/// Starts a thread that sleeps for good (its stack and, on its first malloc, a malloc arena are mapped).
func startThread() -> String {
    var thread = pthread_t()
    let result = pthread_create(&thread, nil, { _ in
        free(malloc(64))
        while true { pause() }
    }, nil)
    errno = result
    return outcome(result == 0)
}

/// Opens `path` and reads a byte.
func read(_ path: String) -> String {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return outcome(false) }
    defer { close(fd) }
    var byte: UInt8 = 0
    return outcome(Glibc.read(fd, &byte, 1) >= 0)
}

/// Creates or truncates `path` and writes "x".
func write(_ path: String) -> String {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
    guard fd >= 0 else { return outcome(false) }
    defer { close(fd) }
    var byte = UInt8(ascii: "x")
    return outcome(Glibc.write(fd, &byte, 1) == 1)
}

/// A TCP socket connected to `host`:`port`, or bound to it.
func tcp(host: String, port: Int, connecting: Bool) -> String {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard fd >= 0 else { return outcome(false) }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else { usage("'\(host)' is not an IPv4 address") }
    let result = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connecting
                ? connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                : bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        }
    }
    return outcome(result == 0)
}

/// A UDP socket of `domain`: Landlock does not rule UDP, the seccomp filter does.
func socketOf(_ domain: Int32) -> String {
    let fd = socket(domain, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    if fd >= 0 { close(fd) }
    return outcome(fd >= 0)
}

/// A socketpair that carries a byte, as the worker's channel to the host does.
func unixPair() -> String {
    var fds: [Int32] = [-1, -1]
    guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &fds) == 0 else {
        return outcome(false)
    }
    defer { fds.forEach { close($0) } }
    var byte = UInt8(ascii: "x")
    return outcome(Glibc.write(fds[0], &byte, 1) == 1 && Glibc.read(fds[1], &byte, 1) == 1)
}

/// Connects a unix stream socket to the socket file at `path`, or to the abstract name `path` when `abstract`.
func connectUnix(_ path: String, abstract: Bool) -> String {
    let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard fd >= 0 else { return outcome(false) }
    defer { close(fd) }
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    let bytes = (abstract ? [0] : []) + Array(path.utf8)
    guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { usage("'\(path)' is too long") }
    withUnsafeMutableBytes(of: &address.sun_path) { sunPath in
        for (index, byte) in bytes.enumerated() { sunPath[index] = byte }
    }
    let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count)
    let result = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, length) }
    }
    return outcome(result == 0)
}

/// Resolves `host` with getaddrinfo, as a client library would before connecting.
func resolve(_ host: String) -> String {
    var hints = addrinfo()
    hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
    var results: UnsafeMutablePointer<addrinfo>?
    let status = getaddrinfo(host, "80", &hints, &results)
    if let results { freeaddrinfo(results) }
    if status == 0 { return "ok" }
    return status == EAI_SYSTEM ? outcome(false) : "failed: \(String(cString: gai_strerror(status)))"
}

/// Allocates `mib` MiB and touches every byte, so the memory is really taken.
func allocate(_ mib: Int) -> String {
    guard let memory = malloc(mib << 20) else { return outcome(false) }
    memset(memory, 1, mib << 20)
    free(memory)
    return "ok"
}

/// Maps `mib` MiB of shared anonymous memory and touches it: memory RLIMIT_DATA does not count.
func mapShared(_ mib: Int) -> String {
    let memory = mmap(nil, mib << 20, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0)
    guard let memory, memory != MAP_FAILED else { return outcome(false) }
    memset(memory, 1, mib << 20)
    munmap(memory, mib << 20)
    return "ok"
}

/// Loads a plugin and calls its entry point (a Swift plugin's runs Swift code).
func load(_ path: String) -> String {
    guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
        return "failed: \(dlerror().map { String(cString: $0) } ?? "?")"
    }
    guard let symbol = dlsym(handle, "integration_plugin_v1") else { return "failed: no integration_plugin_v1" }
    let entry = unsafeBitCast(symbol, to: (@convention(c) () -> UnsafeRawPointer?).self)
    return entry() == nil ? "failed: integration_plugin_v1 returned NULL" : "ok"
}

/// The nice value of the calling thread (Linux keeps one per thread), or of a thread started now.
func niceness(inNewThread: Bool) -> String {
    guard inNewThread else { return String(getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0)) }
    var thread = pthread_t()
    let value = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
    defer { value.deallocate() }
    let result = pthread_create(&thread, nil, { value in
        value!.assumingMemoryBound(to: Int32.self).pointee = getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0)
        return nil
    }, value)
    guard result == 0 else {
        errno = result
        return outcome(false)
    }
    pthread_join(thread, nil)
    return String(value.pointee)
}

/// Raises RLIMIT_DATA, soft and hard, to unlimited: what only a process with CAP_SYS_RESOURCE may do.
func liftMemoryLimit() -> String {
    var unlimited = rlimit(rlim_cur: rlim_t.max, rlim_max: rlim_t.max)
    return outcome(setrlimit(__rlimit_resource_t(RLIMIT_DATA.rawValue), &unlimited) == 0)
}

/// Burns CPU until a limit ends the process, at the lowest priority: it takes only CPU time nobody else wants, so
/// it does not slow the tests running beside it, and RLIMIT_CPU counts the same seconds.
func spin() -> Never {
    _ = nice(19)
    var counter: UInt64 = 0
    while true { counter &+= 1 }
}

var arguments = Words()

var pluginPath = CommandLine.arguments[0]
var grant: String?
var memoryMiB: Int?
var cpuSeconds: Int?
var skipped: Set<Sandbox.Wall> = []
var sandboxed = true
var extraThread = false
var parent: Int32?

options: while let option = arguments.rest.first, option.hasPrefix("--") {
    arguments.rest.removeFirst()
    switch option {
    case "--plugin": pluginPath = arguments.take("--plugin's path")
    case "--grant": grant = arguments.take("--grant's items")
    case "--memory": memoryMiB = arguments.takeNumber("--memory's MiB")
    case "--cpu": cpuSeconds = arguments.takeNumber("--cpu's seconds")
    case "--without":
        switch arguments.take("--without's wall") {
        case "landlock-network": skipped.insert(.landlockNetwork)
        case "seccomp": skipped.insert(.seccomp)
        case let other: usage("unknown wall '\(other)'")
        }
    case "--no-sandbox": sandboxed = false
    case "--thread": extraThread = true
    case "--die-with-parent": parent = Int32(arguments.takeNumber("--die-with-parent's pid"))
    case "--": break options
    default: usage("unknown option \(option)")
    }
}

if let parent { Sandbox.dieWithParent(expectedParent: parent) }
if extraThread && startThread() != "ok" { usage("pthread_create failed") }

if sandboxed {
    var policy = SandboxPolicy.pluginWorker(pluginPath: pluginPath)
    policy.memoryLimit = memoryMiB.map { $0 << 20 }
    policy.cpuLimit = cpuSeconds
    do {
        if let grant { policy = policy.granting(try PluginGrant(parsing: "probe=\(grant)")) }
        let report = try Sandbox.apply(policy, without: skipped)
        emit("enforced: \(report.enforced.joined(separator: "; "))", to: 2)
        emit("unavailable: \(report.unavailable.joined(separator: "; "))", to: 2)
    } catch {
        emit("apply: \(error)")
        exit(2)
    }
}

/// How many words each action takes after its name.
let arity: [String: Int] = [
    "read": 1, "write": 1, "connect": 2, "bind-tcp": 0, "socket-inet": 0, "socket-inet6": 0, "socketpair": 0,
    "connect-unix": 1, "connect-abstract": 1, "resolve": 1, "signal": 1, "alloc": 1, "map-shared": 1, "dlopen": 1,
    "thread": 0, "ready": 0, "spin": 0, "nice": 0, "thread-nice": 0, "renice": 1, "lift-memory-limit": 0,
]

while let action = arguments.rest.popFirst() {
    guard let count = arity[action] else { usage("unknown action \(action)") }
    let words = (0..<count).map { _ in arguments.take("\(action)'s argument") }
    func number(_ index: Int) -> Int {
        guard let number = Int(words[index]) else { usage("\(action): '\(words[index])' is not a number") }
        return number
    }
    let result: String
    switch action {
    case "read": result = read(words[0])
    case "write": result = write(words[0])
    case "connect": result = tcp(host: words[0], port: number(1), connecting: true)
    case "bind-tcp": result = tcp(host: "127.0.0.1", port: 0, connecting: false)
    case "socket-inet": result = socketOf(AF_INET)
    case "socket-inet6": result = socketOf(AF_INET6)
    case "socketpair": result = unixPair()
    case "connect-unix": result = connectUnix(words[0], abstract: false)
    case "connect-abstract": result = connectUnix(words[0], abstract: true)
    case "resolve": result = resolve(words[0])
    case "signal": result = outcome(kill(pid_t(number(0)), 0) == 0)
    case "alloc": result = allocate(number(0))
    case "map-shared": result = mapShared(number(0))
    case "dlopen": result = load(words[0])
    case "thread": result = startThread()
    case "ready": result = "ok"
    case "nice": result = niceness(inNewThread: false)
    case "thread-nice": result = niceness(inNewThread: true)
    case "renice": result = outcome(setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, Int32(number(0))) == 0)
    case "lift-memory-limit": result = liftMemoryLimit()
    default: spin()
    }
    emit(([action] + words).joined(separator: " ") + ": \(result)")
}
