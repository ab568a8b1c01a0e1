import Foundation
import Glibc

/// A program started with `posix_spawn`: argv as given (no shell), stdin from /dev/null, stdout and stderr into
/// pipes, in its own process group (a timeout kills the group), no descriptor of the host inherited, signal
/// dispositions reset to their defaults.
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
    }

    let pid: pid_t
    private var stdoutFD: Int32
    private var stderrFD: Int32
    private var exitFD: Int32

    /// Starts `argv[0]` (a path, not looked up in PATH) in `directory` with exactly `environment`.
    init(argv: [String], environment: [String], directory: String) throws(SpawnError) {
        var outPipe: [Int32] = [-1, -1]
        var errPipe: [Int32] = [-1, -1]
        guard SpawnFunctions.closeOnExecPipe(&outPipe) == 0 else { throw SpawnError(description: "pipe: \(String(cString: strerror(errno)))") }
        guard SpawnFunctions.closeOnExecPipe(&errPipe) == 0 else {
            close(outPipe[0])
            close(outPipe[1])
            throw SpawnError(description: "pipe: \(String(cString: strerror(errno)))")
        }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
        _ = SpawnFunctions.addCloseFrom(&actions, 3)
        guard directory.withCString({ SpawnFunctions.addChdir(&actions, $0) }) == 0 else {
            for fd in outPipe + errPipe { close(fd) }
            throw SpawnError(description: "cannot set the working directory on this system")
        }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD, SIGUSR1, SIGUSR2] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        var pid: pid_t = 0
        let rc = ChildProcess.withCStrings(argv) { argvPointer in
            ChildProcess.withCStrings(environment) { envPointer in
                posix_spawn(&pid, argv[0], &actions, &attributes, argvPointer, envPointer)
            }
        }
        close(outPipe[1])
        close(errPipe[1])
        guard rc == 0 else {
            close(outPipe[0])
            close(errPipe[0])
            throw SpawnError(description: "cannot start \(argv[0]): \(String(cString: strerror(rc)))")
        }
        self.pid = pid
        self.stdoutFD = outPipe[0]
        self.stderrFD = errPipe[0]
        self.exitFD = SpawnFunctions.pidfdOpen(pid)
    }

    deinit {
        for fd in [stdoutFD, stderrFD, exitFD] where fd >= 0 { close(fd) }
    }

    /// Collects output (at most `maxOutput` bytes per stream; the rest is read and dropped) until the process
    /// exits, `timeout` passes or `isCancelled` turns true; then kills the group if needed and reaps it.
    func wait(timeout: Duration, maxOutput: Int, isCancelled: () -> Bool) -> Output {
        let deadline = ContinuousClock.now + timeout
        var stdout: [UInt8] = []
        var stderr: [UInt8] = []
        var exited = false
        var timedOut = false
        var buffer = [UInt8](repeating: 0, count: 16384)
        while !exited {
            let remaining = deadline - ContinuousClock.now
            if remaining <= .zero || isCancelled() {
                timedOut = true
                break
            }
            let sliceMS = exitFD >= 0 ? min(remaining.milliseconds, 100) : min(remaining.milliseconds, 10)
            var fds = [
                pollfd(fd: stdoutFD, events: Int16(POLLIN), revents: 0),
                pollfd(fd: stderrFD, events: Int16(POLLIN), revents: 0),
                pollfd(fd: exitFD, events: Int16(POLLIN), revents: 0),
            ]
            let ready = poll(&fds, nfds_t(fds.count), Int32(max(sliceMS, 1)))
            if ready < 0 && errno != EINTR { break }
            if fds[0].revents != 0 { drain(&stdoutFD, into: &stdout, limit: maxOutput, buffer: &buffer) }
            if fds[1].revents != 0 { drain(&stderrFD, into: &stderr, limit: maxOutput, buffer: &buffer) }
            if exitFD >= 0 {
                exited = fds[2].revents != 0
            } else if stdoutFD < 0 && stderrFD < 0 || ready == 0 {
                exited = ChildProcess.hasExited(pid)
            }
        }
        if timedOut {
            kill(-pid, SIGKILL)
            kill(pid, SIGKILL)
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        // What the process wrote before it exited is in the pipes; descendants holding them are not waited for.
        readAvailable(&stdoutFD, into: &stdout, limit: maxOutput, buffer: &buffer)
        readAvailable(&stderrFD, into: &stderr, limit: maxOutput, buffer: &buffer)
        let signal = status & 0x7F
        let code = signal == 0 ? (status >> 8) & 0xFF : 128 + signal
        return Output(stdout: stdout, stderr: stderr, status: code, timedOut: timedOut)
    }

    /// Reads once from a ready descriptor; closes it at end of file.
    private func drain(_ fd: inout Int32, into output: inout [UInt8], limit: Int, buffer: inout [UInt8]) {
        guard fd >= 0 else { return }
        let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n > 0 {
            let room = max(0, limit - output.count)
            output.append(contentsOf: buffer[0..<min(n, room)])
        } else if n == 0 || (errno != EINTR && errno != EAGAIN) {
            close(fd)
            fd = -1
        }
    }

    /// Reads what is already in the pipe, a bounded number of times: a descendant still writing cannot keep us.
    private func readAvailable(_ fd: inout Int32, into output: inout [UInt8], limit: Int, buffer: inout [UInt8]) {
        for _ in 0..<64 where fd >= 0 {
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&pfd, 1, 0) > 0 else { return }
            drain(&fd, into: &output, limit: limit, buffer: &buffer)
        }
    }

    private static func hasExited(_ pid: pid_t) -> Bool {
        var info = siginfo_t()
        return waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info._sifields._sigchld.si_pid == pid
    }

    private static func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
        let pointers = strings.map { strdup($0) } + [nil]
        defer { for pointer in pointers { free(pointer) } }
        return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
    }
}

extension Duration {
    fileprivate var milliseconds: Int {
        let (seconds, attoseconds) = components
        return Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000)
    }
}
