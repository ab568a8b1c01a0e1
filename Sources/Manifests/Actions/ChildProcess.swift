import Foundation
import Glibc
import ProcessSpawning

/// A program started as its `ExecContainment` says: argv as given (no shell), stdin from /dev/null, stdout and stderr
/// into pipes, no descriptor of the host inherited, signal dispositions reset to their defaults. Contained in
/// namespaces, the program is its PID namespace's pid 1; else it leads its own process group (`posix_spawn`).
final class ChildProcess {
    /// How a run ended.
    struct Output: Sendable {
        var stdout: [UInt8]
        var stderr: [UInt8]
        /// The exit code, or 128 + the signal number when killed by a signal.
        var status: Int32
        var timedOut: Bool
    }

    struct SpawnError: Error, CustomStringConvertible {
        let description: String
        /// `ETXTBSY`: the file is open for writing somewhere, often for an instant (another thread's spawn
        /// inherited a descriptor of a script being written); worth a retry after a moment.
        var textBusy = false
    }

    let pid: pid_t
    let containment: ExecContainment
    /// The read ends of stdout and stderr (non-blocking), and a pidfd readable once the process exits; -1 when
    /// closed.
    var stdoutFD: Int32
    var stderrFD: Int32
    var exitFD: Int32

    /// The `nice` value programs run at, below request handling (the host's own, normally 0).
    static let niceness: Int32 = 10

    /// Starts `argv[0]` (a path, not looked up in PATH) in `directory` with exactly `environment`.
    init(argv: [String], environment: [String], directory: String, containment: ExecContainment) throws(SpawnError) {
        var outPipe: [Int32] = [-1, -1]
        var errPipe: [Int32] = [-1, -1]
        guard SpawnFunctions.closeOnExecPipe(&outPipe) == 0 else { throw SpawnError(description: "pipe: \(String(cString: strerror(errno)))") }
        guard SpawnFunctions.closeOnExecPipe(&errPipe) == 0 else {
            close(outPipe[0])
            close(outPipe[1])
            throw SpawnError(description: "pipe: \(String(cString: strerror(errno)))")
        }
        let started: Result<pid_t, SpawnError>
        switch containment {
        case .namespace:
            started = ChildProcess.startContained(argv, environment, directory, stdout: outPipe[1], stderr: errPipe[1])
        case .processGroup:
            started = ChildProcess.startInGroup(argv, environment, directory, stdout: outPipe[1], stderr: errPipe[1])
        }
        close(outPipe[1])
        close(errPipe[1])
        let pid: pid_t
        switch started {
        case .success(let started): pid = started
        case .failure(let error):
            close(outPipe[0])
            close(errPipe[0])
            throw error
        }
        // Programs yield to request handling: a busy script, or a crowd of them starting, must not delay answers.
        // A contained program starts at its niceness; `posix_spawn` cannot set one, so a grouped one gets it now.
        if containment == .processGroup {
            _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), id_t(pid), ChildProcess.niceness)
        }
        self.pid = pid
        self.containment = containment
        self.stdoutFD = outPipe[0]
        self.stderrFD = errPipe[0]
        self.exitFD = SpawnFunctions.pidfdOpen(pid)
        _ = fcntl(stdoutFD, F_SETFL, O_NONBLOCK)
        _ = fcntl(stderrFD, F_SETFL, O_NONBLOCK)
        guard exitFD >= 0 else {
            let reason = String(cString: strerror(errno))
            kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
            throw SpawnError(description: "pidfd_open: \(reason) (exec needs Linux 5.3 or later)")
        }
    }

    private static func startContained(
        _ argv: [String], _ environment: [String], _ directory: String, stdout: Int32, stderr: Int32
    ) -> Result<pid_t, SpawnError> {
        do {
            return .success(try ContainedSpawn.start(
                argv: argv, environment: environment, directory: directory, stdout: stdout, stderr: stderr,
                niceness: ChildProcess.niceness))
        } catch {
            let reason = String(cString: strerror(error.errorNumber))
            let description = error.namespacesRefused
                ? "cannot make namespaces for \(argv[0]): \(reason) (--exec-containment process-group avoids them)"
                : "cannot start \(argv[0]): \(reason)"
            return .failure(SpawnError(description: description, textBusy: error.errorNumber == ETXTBSY))
        }
    }

    /// `posix_spawn` into a new process group.
    private static func startInGroup(
        _ argv: [String], _ environment: [String], _ directory: String, stdout: Int32, stderr: Int32
    ) -> Result<pid_t, SpawnError> {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, stdout, 1)
        posix_spawn_file_actions_adddup2(&actions, stderr, 2)
        _ = SpawnFunctions.addCloseFrom(&actions, 3)
        guard directory.withCString({ SpawnFunctions.addChdir(&actions, $0) }) == 0 else {
            return .failure(SpawnError(description: "cannot set the working directory on this system"))
        }

        var attributes = posix_spawnattr_t()
        SpawnFunctions.cleanSignalAttributes(
            &attributes, defaults: [SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD, SIGUSR1, SIGUSR2],
            flags: Int32(POSIX_SPAWN_SETPGROUP))
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setpgroup(&attributes, 0)

        var pid: pid_t = 0
        var rc: Int32 = 0
        rc = SpawnFunctions.withCStrings(argv) { argvPointer in
            SpawnFunctions.withCStrings(environment) { envPointer in
                posix_spawn(&pid, argv[0], &actions, &attributes, argvPointer, envPointer)
            }
        }
        guard rc == 0 else {
            return .failure(SpawnError(
                description: "cannot start \(argv[0]): \(String(cString: strerror(rc)))", textBusy: rc == ETXTBSY))
        }
        return .success(pid)
    }

    deinit {
        closeAll()
    }

    /// Kills the program and whatever it started: the namespace's first process (the kernel kills the rest of the
    /// namespace), or the process group and the program.
    func killAll() {
        if containment == .processGroup { kill(-pid, SIGKILL) }
        kill(pid, SIGKILL)
    }

    /// Reaps the exited process: the exit code, or 128 + the signal number.
    func reap() -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let signal = status & 0x7F
        return signal == 0 ? (status >> 8) & 0xFF : 128 + signal
    }

    func closeAll() {
        for fd in [stdoutFD, stderrFD, exitFD] where fd >= 0 { close(fd) }
        stdoutFD = -1
        stderrFD = -1
        exitFD = -1
    }
}
