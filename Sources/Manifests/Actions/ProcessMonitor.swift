import Foundation
import Glibc
import ProcessSpawning
import Scheduling
import Synchronization

/// Watches every running child process from one thread with `poll`: reads their output, notices their exit through
/// a pidfd, and kills those past their deadline or whose run was cancelled. No thread blocks per process, so many
/// programs can run at once without holding workers. Deadlines are the host's clock's (`DeadlineScheduler`): one
/// that passes sets the watch's flag and wakes the monitor, so `poll` waits on descriptors alone.
final class ProcessMonitor: Sendable {
    /// One watched process. After `watch` hands it over, only the monitor thread touches it.
    final class Watch: @unchecked Sendable {
        let child: ChildProcess
        let maxOutput: Int
        let cancelled: CancellationFlag
        /// Set by the clock when the timeout passes.
        let expired = CancellationFlag()
        var deadline: DeadlineScheduler.Ticket?
        let completion: @Sendable (ChildProcess.Output) -> Void
        var stdout: [UInt8] = []
        var stderr: [UInt8] = []
        var timedOut = false

        init(child: ChildProcess, maxOutput: Int, cancelled: CancellationFlag,
             completion: @escaping @Sendable (ChildProcess.Output) -> Void) {
            self.child = child
            self.maxOutput = maxOutput
            self.cancelled = cancelled
            self.completion = completion
        }
    }

    static let shared = ProcessMonitor()

    private let wakeRead: Int32
    private let wakeWrite: Int32
    private let inbox = Mutex<[Watch]>([])

    private init() {
        var wake: [Int32] = [-1, -1]
        _ = SpawnFunctions.closeOnExecPipe(&wake)
        wakeRead = wake[0]
        wakeWrite = wake[1]
        _ = fcntl(wakeRead, F_SETFL, O_NONBLOCK)
        _ = fcntl(wakeWrite, F_SETFL, O_NONBLOCK)
        let thread = Thread { [self] in self.run() }
        thread.name = "process-monitor"
        thread.start()
    }

    /// Starts watching `child`; `completion` runs on the monitor thread once the process has exited (killed when
    /// `timeout` passes or `cancelled` is set).
    func watch(
        _ child: ChildProcess, timeout: Duration, maxOutput: Int, cancelled: CancellationFlag,
        completion: @escaping @Sendable (ChildProcess.Output) -> Void
    ) {
        let watch = Watch(child: child, maxOutput: maxOutput, cancelled: cancelled, completion: completion)
        let expired = watch.expired
        watch.deadline = DeadlineScheduler.shared.schedule(after: timeout) { [self] in
            expired.set()
            wake()
        }
        inbox.withLock { $0.append(watch) }
        wake()
    }

    /// Makes the monitor look at its processes now (a run was cancelled).
    func wake() {
        var byte: UInt8 = 1
        _ = write(wakeWrite, &byte, 1)
    }

    private func run() {
        var watches: [Watch] = []
        var buffer = [UInt8](repeating: 0, count: 16384)
        while true {
            var fds = [pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0)]
            var owners: [Watch?] = [nil]
            for watch in watches {
                for fd in [watch.child.stdoutFD, watch.child.stderrFD, watch.child.exitFD] where fd >= 0 {
                    fds.append(pollfd(fd: fd, events: Int16(POLLIN), revents: 0))
                    owners.append(watch)
                }
            }
            _ = poll(&fds, nfds_t(fds.count), -1)
            var exited: Set<ObjectIdentifier> = []
            for (index, entry) in fds.enumerated() where entry.revents != 0 {
                guard let watch = owners[index] else {
                    while read(wakeRead, &buffer, buffer.count) > 0 {}
                    continue
                }
                if entry.fd == watch.child.exitFD {
                    exited.insert(ObjectIdentifier(watch))
                } else {
                    drain(entry.fd, of: watch, buffer: &buffer)
                }
            }
            for watch in watches where exited.contains(ObjectIdentifier(watch)) { finish(watch, buffer: &buffer) }
            watches.removeAll { exited.contains(ObjectIdentifier($0)) }
            watches += inbox.withLock { list in
                defer { list.removeAll() }
                return list
            }
            for watch in watches where !watch.timedOut && (watch.expired.isSet || watch.cancelled.isSet) {
                watch.timedOut = true
                watch.child.killAll()
            }
        }
    }

    /// Reads what a pipe holds; at end of file, stops watching it.
    private func drain(_ fd: Int32, of watch: Watch, buffer: inout [UInt8]) {
        for _ in 0..<64 {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n > 0 {
                let isStdout = fd == watch.child.stdoutFD
                let room = max(0, watch.maxOutput - (isStdout ? watch.stdout.count : watch.stderr.count))
                if isStdout {
                    watch.stdout.append(contentsOf: buffer[0..<min(n, room)])
                } else {
                    watch.stderr.append(contentsOf: buffer[0..<min(n, room)])
                }
                continue
            }
            if n < 0 && (errno == EAGAIN || errno == EINTR) { return }
            close(fd)
            if fd == watch.child.stdoutFD { watch.child.stdoutFD = -1 } else { watch.child.stderrFD = -1 }
            return
        }
    }

    /// The process has exited: collect what is left in its pipes (descendants holding them are not waited for),
    /// reap it, report.
    private func finish(_ watch: Watch, buffer: inout [UInt8]) {
        for fd in [watch.child.stdoutFD, watch.child.stderrFD] where fd >= 0 { drain(fd, of: watch, buffer: &buffer) }
        if let deadline = watch.deadline { DeadlineScheduler.shared.cancel(deadline) }
        let status = watch.child.reap()
        watch.child.closeAll()
        watch.completion(ChildProcess.Output(stdout: watch.stdout, stderr: watch.stderr, status: status, timedOut: watch.timedOut))
    }
}
