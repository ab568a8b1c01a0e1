import Foundation
import Glibc
import Logging
import Synchronization

/// Tells the catalog when the integrations directory changed, on a thread of its own: with inotify, as soon as a
/// file is written and closed, renamed in or out, deleted, or has its attributes changed; where inotify is
/// unavailable (or the directory itself is deleted or moved), by polling every `pollInterval`, trying to watch the
/// directory again on each poll. The thread runs until `stop()`, which waits for it.
///
/// A request need not wait for the thread: `catchUp()` (one `poll` of the inotify descriptor when nothing changed)
/// reads events already queued, or waits for the thread's rescan of them, so a lookup made after a write completed
/// sees what it wrote.
///
/// A file deleted or renamed away is dropped `removalDelay` later unless it is back by then: a compiler or linker
/// deletes its output before writing it again, and a rebuilt plugin should be reloaded, not removed and loaded.
public final class DirectoryWatcher: Sendable {
    /// How often the directory is rescanned when it cannot be watched.
    public static let pollInterval: Duration = .seconds(1)
    /// How long a deletion waits for the file to come back before the directory is rescanned.
    public static let removalDelay: Duration = .seconds(1)

    /// The inotify events that mean a file may have changed. `IN_MODIFY` is left out on purpose: a file being
    /// written is read once it is closed (`IN_CLOSE_WRITE`), not half-way.
    static let events = UInt32(
        IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_ATTRIB | IN_CREATE | IN_DELETE_SELF
            | IN_MOVE_SELF)

    private let directory: String
    private let changed: @Sendable (_ written: Set<String>) -> Void
    /// Wakes the thread: a 0 byte to look at a new removal deadline, a 1 to stop. Closed when the watcher goes.
    private let wakePipe: (read: Int32, write: Int32)
    /// The watch and a pending removal. Whoever holds it reads events and rescans, so a request that finds events
    /// queued or being read waits for their rescan.
    private let scan: Mutex<Scan>
    /// The inotify descriptor while watching, else -1: what `catchUp` polls without taking `scan`.
    private let watched: Atomic<Int32>
    /// Whether events are being read and acted on (set before they are read).
    private let scanning = Atomic<Bool>(false)
    private let ended = Mutex<(finished: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    private struct Scan: Sendable {
        var watch: Watch
        /// When a deletion seen without another change is acted on.
        var removalDue: ContinuousClock.Instant?
    }

    /// Starts watching `directory`; `changed` runs after each batch of changes (on the watcher's thread, or on a
    /// thread in `catchUp()`), never twice at once, with the names of the files written and closed in the batch:
    /// those changed even when their size, inode and modification time look the same (a file rewritten in place
    /// within one tick of the file system's clock).
    public init(directory: URL, logger: HostLogger, changed: @escaping @Sendable (_ written: Set<String>) -> Void) throws {
        self.directory = directory.path
        self.changed = changed
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        _ = fcntl(fds[0], F_SETFL, O_NONBLOCK)
        _ = fcntl(fds[1], F_SETFL, O_NONBLOCK)
        wakePipe = (fds[0], fds[1])
        let watch = Watch(directory: self.directory, logger: logger)
        watched = Atomic(watch.descriptor ?? -1)
        scan = Mutex(Scan(watch: watch))
        let thread = Thread { [self] in run() }
        thread.name = "directory-watcher"
        thread.start()
    }

    deinit {
        close(wakePipe.read)
        close(wakePipe.write)
    }

    /// Acts on changes the kernel has already reported: returns at once when there are none (one `poll`), else
    /// once they are rescanned, here or by the watcher's thread. Nothing is guaranteed while polling.
    public func catchUp() {
        let fd = watched.load(ordering: .acquiring)
        guard fd >= 0 else { return }
        var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        // Events not queued any more may be being read: `scanning` is set before they are.
        guard poll(&descriptor, 1, 0) > 0 || scanning.load(ordering: .sequentiallyConsistent) else { return }
        settle()
    }

    /// Stops the thread and returns once it has ended (after the rescan it may be running).
    public func stop() async {
        wake(1)
        await withCheckedContinuation { continuation in
            let done = ended.withLock { state in
                if !state.finished { state.waiters.append(continuation) }
                return state.finished
            }
            if done { continuation.resume() }
        }
    }

    private func wake(_ byte: UInt8) {
        var byte = byte
        _ = write(wakePipe.write, &byte, 1)
    }

    /// Reads the queued events and acts on them: a change rescans now, a lone removal is left for its deadline.
    private func settle() {
        scan.withLock { scan in
            scanning.store(true, ordering: .sequentiallyConsistent)
            defer { scanning.store(false, ordering: .sequentiallyConsistent) }
            switch scan.watch.drain() {
            case .none: break
            case .removal:
                guard scan.removalDue == nil else { break }
                scan.removalDue = .now + DirectoryWatcher.removalDelay
                wake(0)
            case .change(let written):
                scan.removalDue = nil
                changed(written)
            }
            watched.store(scan.watch.descriptor ?? -1, ordering: .releasing)
        }
    }

    /// A poll's timeout passed: a removal is due, or (not watching) it is time to look again.
    private func timedOut() {
        scan.withLock { scan in
            if scan.watch.descriptor == nil {
                scan.watch.retry()
                watched.store(scan.watch.descriptor ?? -1, ordering: .releasing)
            }
            scan.removalDue = nil
            changed([])
        }
    }

    private func run() {
        defer {
            scan.withLock { scan in
                scan.watch.close()
                watched.store(-1, ordering: .releasing)
            }
            let waiters = ended.withLock { state in
                state.finished = true
                defer { state.waiters = [] }
                return state.waiters
            }
            for waiter in waiters { waiter.resume() }
        }
        while true {
            let (fd, timeout) = scan.withLock { scan in
                (scan.watch.descriptor ?? -1,
                 DirectoryWatcher.milliseconds(until: scan.removalDue, watching: scan.watch.descriptor != nil))
            }
            var fds = [
                pollfd(fd: wakePipe.read, events: Int16(POLLIN), revents: 0),
                pollfd(fd: fd, events: Int16(POLLIN), revents: 0),
            ]
            let ready = poll(&fds, 2, timeout)
            if ready < 0 && errno == EINTR { continue }
            if ready < 0 { return }
            if fds[0].revents != 0 {
                if stopRequested() { return }
                continue
            }
            if ready == 0 { timedOut() } else { settle() }
        }
    }

    /// Empties the wake pipe; whether a stop was among its bytes.
    private func stopRequested() -> Bool {
        var bytes = [UInt8](repeating: 0, count: 64)
        var stop = false
        while true {
            let count = bytes.withUnsafeMutableBytes { read(wakePipe.read, $0.baseAddress, $0.count) }
            guard count > 0 else { return stop }
            if bytes[0..<count].contains(1) { stop = true }
        }
    }

    /// The poll timeout: until a pending removal is due; while not watching, the poll interval; else none (-1).
    private static func milliseconds(until due: ContinuousClock.Instant?, watching: Bool) -> Int32 {
        guard watching else { return Int32(pollInterval.components.seconds * 1000) }
        guard let due else { return -1 }
        let left = due - .now
        return left <= .zero ? 0 : Int32(left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000 + 1)
    }

    /// What a batch of events asks for.
    private enum Batch {
        case none
        /// Only files deleted or renamed away: wait `removalDelay` for them to come back.
        case removal
        /// Rescan now; the files written and closed in place.
        case change(written: Set<String>)
    }

    /// The inotify instance and its one watch, or nothing (then the thread polls).
    private struct Watch {
        let directory: String
        let logger: HostLogger
        private(set) var descriptor: Int32?
        private var buffer = [UInt8](repeating: 0, count: 64 * 1024)

        init(directory: String, logger: HostLogger) {
            self.directory = directory
            self.logger = logger
            if let reason = start() {
                logger.log(.warning, "cannot watch \(directory) with inotify (\(reason)): polling it every second")
            } else {
                logger.log(.info, "watching \(directory) with inotify")
            }
        }

        /// Opens inotify and watches the directory; why not, on failure.
        private mutating func start() -> String? {
            let fd = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
            guard fd >= 0 else { return "inotify_init1: \(String(cString: strerror(errno)))" }
            guard inotify_add_watch(fd, directory, DirectoryWatcher.events | UInt32(IN_ONLYDIR)) >= 0 else {
                let reason = "inotify_add_watch: \(String(cString: strerror(errno)))"
                Glibc.close(fd)
                return reason
            }
            descriptor = fd
            return nil
        }

        /// Tries to watch again after a poll (the directory may be back, or the limit freed).
        mutating func retry() {
            if start() == nil { logger.log(.notice, "watching \(directory) with inotify again") }
        }

        /// Reads every queued event: whether they may have changed what the catalog loads, and how soon to look.
        /// Falls back to polling when the watch is gone (the directory was deleted or moved away).
        mutating func drain() -> Batch {
            guard let fd = descriptor else { return .none }
            var changed = false
            var removed = false
            var written: Set<String> = []
            var lost = false
            while true {
                let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else { break }
                var offset = 0
                let headerSize = MemoryLayout<inotify_event>.size
                while offset + headerSize <= count {
                    let (mask, nameLength) = buffer.withUnsafeBytes { raw in
                        let event = raw.loadUnaligned(fromByteOffset: offset, as: inotify_event.self)
                        return (event.mask, Int(event.len))
                    }
                    let nameBytes = buffer[(offset + headerSize)..<min(count, offset + headerSize + nameLength)]
                    let name = String(decoding: nameBytes.prefix { $0 != 0 }, as: UTF8.self)
                    offset += headerSize + nameLength
                    if mask & UInt32(IN_Q_OVERFLOW) != 0 { changed = true }
                    if mask & UInt32(IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF) != 0 { lost = true }
                    guard !name.isEmpty, !name.hasPrefix("."), matters(mask: mask, name: name) else { continue }
                    if mask & UInt32(IN_DELETE | IN_MOVED_FROM) != 0 {
                        removed = true
                    } else {
                        if mask & UInt32(IN_CLOSE_WRITE) != 0 { written.insert(name) }
                        changed = true
                    }
                }
            }
            if lost {
                logger.log(.warning, "\(directory) was deleted or moved: polling it every second")
                close()
                return .change(written: written)
            }
            if changed { return .change(written: written) }
            return removed ? .removal : .none
        }

        /// Whether an event on `name` can change what is loaded. A file created empty is read when it is closed
        /// after writing; a symlink or hard link is complete when it appears.
        private func matters(mask: UInt32, name: String) -> Bool {
            guard mask & UInt32(IN_CREATE) != 0, mask & UInt32(IN_ISDIR) == 0 else { return true }
            var info = stat()
            guard lstat(directory + "/" + name, &info) == 0 else { return false }
            return (info.st_mode & S_IFMT) == S_IFLNK || info.st_size > 0
        }

        mutating func close() {
            guard let fd = descriptor else { return }
            Glibc.close(fd)
            descriptor = nil
        }
    }
}
