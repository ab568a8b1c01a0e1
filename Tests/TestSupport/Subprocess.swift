import Glibc
import ProcessSpawning

/// A program a test runs: started with `posix_spawn` (stdin from /dev/null, every other descriptor closed), its
/// output read to the end. Foundation's `Process` is not used because its `run()` can crash reading /proc/self/fd
/// while other tests open and close descriptors (swift-corelibs-foundation #5472).
public final class Subprocess: @unchecked Sendable {
    public let pid: pid_t
    private var outputFD: Int32
    private var errorFD: Int32

    /// What a finished program left: its exit status (or the signal that ended it) and its output.
    public struct Result: Sendable {
        public let status: Int32
        public let signal: Int32?
        public let stdout: [UInt8]
        public let stderr: [UInt8]
        public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
        public var stderrText: String { String(decoding: stderr, as: UTF8.self) }
    }

    public struct SpawnError: Error, CustomStringConvertible {
        public let description: String
    }

    /// Starts `executable` with `arguments` and the test process's environment (or `environment`).
    public init(_ executable: String, _ arguments: [String], environment: [String]? = nil) throws {
        var output: [Int32] = [-1, -1]
        var errors: [Int32] = [-1, -1]
        guard SpawnFunctions.closeOnExecPipe(&output) == 0, SpawnFunctions.closeOnExecPipe(&errors) == 0 else {
            throw SpawnError(description: "pipe: \(String(cString: strerror(errno)))")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, output[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errors[1], 2)
        _ = SpawnFunctions.addCloseFrom(&actions, 3)
        var attributes = posix_spawnattr_t()
        SpawnFunctions.cleanSignalAttributes(&attributes, defaults: [SIGPIPE, SIGHUP, SIGINT, SIGTERM, SIGCHLD])
        defer { posix_spawnattr_destroy(&attributes) }
        var pid: pid_t = 0
        let environment = environment ?? Subprocess.currentEnvironment()
        let result = SpawnFunctions.withCStrings([executable] + arguments) { argv in
            SpawnFunctions.withCStrings(environment) { envp in
                posix_spawn(&pid, executable, &actions, &attributes, UnsafeMutablePointer(mutating: argv), UnsafeMutablePointer(mutating: envp))
            }
        }
        close(output[1])
        close(errors[1])
        guard result == 0 else {
            close(output[0])
            close(errors[0])
            throw SpawnError(description: "cannot start \(executable): \(String(cString: strerror(result)))")
        }
        self.pid = pid
        self.outputFD = output[0]
        self.errorFD = errors[0]
    }

    /// Reads stdout and stderr to their ends, then waits for the program to exit.
    public func finish() -> Result {
        var stdout: [UInt8] = []
        var stderr: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while outputFD >= 0 || errorFD >= 0 {
            var descriptors = [pollfd(fd: outputFD, events: Int16(POLLIN), revents: 0), pollfd(fd: errorFD, events: Int16(POLLIN), revents: 0)]
            guard poll(&descriptors, 2, -1) >= 0 || errno == EINTR else { break }
            for (index, descriptor) in descriptors.enumerated() where descriptor.fd >= 0 && descriptor.revents != 0 {
                let n = buffer.withUnsafeMutableBytes { read(descriptor.fd, $0.baseAddress, $0.count) }
                if n > 0 {
                    if index == 0 { stdout += buffer[0..<n] } else { stderr += buffer[0..<n] }
                } else if n == 0 || (errno != EINTR && errno != EAGAIN) {
                    close(descriptor.fd)
                    if index == 0 { outputFD = -1 } else { errorFD = -1 }
                }
            }
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let signal = status & 0x7F
        return Result(
            status: signal == 0 ? (status >> 8) & 0xFF : 128 + signal, signal: signal == 0 ? nil : signal,
            stdout: stdout, stderr: stderr)
    }

    /// Starts `executable` and waits for it.
    public static func run(_ executable: String, _ arguments: [String], environment: [String]? = nil) throws -> Result {
        try Subprocess(executable, arguments, environment: environment).finish()
    }

    private static func currentEnvironment() -> [String] {
        var entries: [String] = []
        var pointer = environ
        while let entry = pointer.pointee {
            entries.append(String(cString: entry))
            pointer += 1
        }
        return entries
    }
}
