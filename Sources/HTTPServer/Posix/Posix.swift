import CHTTPLinux
import Glibc

/// Every operating-system call the server makes, in one place. Calls report failure as `SystemError` or, for
/// the non-blocking I/O paths, as a `IOResult` so the event loop can tell "would block" from "closed".
enum Posix {
    /// What a non-blocking read or write did.
    enum IOResult {
        case bytes(Int)
        case wouldBlock
        case endOfFile
        case failed(Int32)
    }

    static func ignoreSIGPIPE() {
        _ = signal(SIGPIPE, SIG_IGN)
    }

    // MARK: Sockets

    static func listeningSocket(address: SocketAddress, backlog: Int) throws(SystemError) -> Int32 {
        let fd = socket(address.family, Int32(SOCK_STREAM.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SystemError("socket") }
        var one: Int32 = 1
        guard setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size)) == 0 else {
            let error = SystemError("setsockopt SO_REUSEADDR")
            close(fd)
            throw error
        }
        guard address.withSockAddr({ bind(fd, $0, $1) }) == 0 else {
            let error = SystemError("bind \(address)")
            close(fd)
            throw error
        }
        guard listen(fd, Int32(clamping: max(backlog, 512))) == 0 else {
            let error = SystemError("listen")
            close(fd)
            throw error
        }
        return fd
    }

    static func setNoDelay(_ fd: Int32) {
        var one: Int32 = 1
        _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    /// The port a bound socket ended up on.
    static func localPort(_ fd: Int32) throws(SystemError) -> Int {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let result = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard result == 0 else { throw SystemError("getsockname") }
        return SocketAddress(storage: storage).port
    }

    /// What `accept` found.
    enum AcceptResult {
        case accepted(fd: Int32, peer: SocketAddress)
        case nonePending
        /// Out of descriptors or memory: retrying at once would spin.
        case exhausted
        /// Something about that one connection (it was reset while queued, for example).
        case failed
        /// The socket no longer listens (shut down or closed under the server): every later call fails too.
        case notListening
    }

    /// Accepts one pending connection as a non-blocking socket.
    static func accept(_ listener: Int32) -> AcceptResult {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let fd = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                chttp_accept4(listener, $0, &length, Int32(SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue))
            }
        }
        if fd >= 0 { return .accepted(fd: fd, peer: SocketAddress(storage: storage)) }
        switch errno {
        case EAGAIN, EWOULDBLOCK: return .nonePending
        case EMFILE, ENFILE, ENOBUFS, ENOMEM: return .exhausted
        case EINVAL, EBADF, ENOTSOCK, EOPNOTSUPP: return .notListening
        default: return .failed
        }
    }

    static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) -> IOResult {
        while true {
            let n = Glibc.read(fd, buffer.baseAddress, buffer.count)
            if n > 0 { return .bytes(n) }
            if n == 0 { return .endOfFile }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return .wouldBlock
            default: return .failed(errno)
            }
        }
    }

    static func write(_ fd: Int32, _ buffer: UnsafeRawBufferPointer) -> IOResult {
        while true {
            let n = send(fd, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL))
            if n >= 0 { return .bytes(n) }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return .wouldBlock
            default: return .failed(errno)
            }
        }
    }

    /// Makes a listening socket refuse new connections (and reset queued ones) while its descriptor stays valid.
    static func stopListening(_ fd: Int32) {
        _ = Glibc.shutdown(fd, Int32(SHUT_RDWR))
    }

    /// Stops sending (FIN) while still allowing reads.
    static func shutdownWrite(_ fd: Int32) {
        _ = Glibc.shutdown(fd, Int32(SHUT_WR))
    }

    static func close(_ fd: Int32) {
        _ = Glibc.close(fd)
    }

    /// Closes with a reset, discarding unsent data (for peers that stopped reading).
    static func abort(_ fd: Int32) {
        var option = linger(l_onoff: 1, l_linger: 0)
        _ = setsockopt(fd, SOL_SOCKET, SO_LINGER, &option, socklen_t(MemoryLayout<linger>.size))
        _ = Glibc.close(fd)
    }

    // MARK: epoll and eventfd

    static let readable = EPOLLIN.rawValue
    static let writable = EPOLLOUT.rawValue
    static let hangUp = EPOLLHUP.rawValue | EPOLLERR.rawValue | EPOLLRDHUP.rawValue
    static let edgeTriggered = EPOLLET.rawValue
    static let exclusive = EPOLLEXCLUSIVE.rawValue

    static func epollCreate() throws(SystemError) -> Int32 {
        let fd = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard fd >= 0 else { throw SystemError("epoll_create1") }
        return fd
    }

    static func epollAdd(_ epoll: Int32, _ fd: Int32, events: UInt32) throws(SystemError) {
        var event = epoll_event()
        event.events = events
        event.data.u64 = UInt64(UInt32(bitPattern: fd))
        guard epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &event) == 0 else { throw SystemError("epoll_ctl ADD") }
    }

    static func epollRemove(_ epoll: Int32, _ fd: Int32) {
        var event = epoll_event()
        _ = epoll_ctl(epoll, EPOLL_CTL_DEL, fd, &event)
    }

    /// A buffer `epoll_wait` fills; entry `i` gives the descriptor registered and the events seen.
    struct EpollEvents {
        private let buffer: UnsafeMutableBufferPointer<epoll_event>

        init(capacity: Int) { buffer = .allocate(capacity: capacity) }

        func deallocate() { buffer.deallocate() }

        subscript(i: Int) -> (fd: Int32, events: UInt32) {
            (Int32(truncatingIfNeeded: buffer[i].data.u64), buffer[i].events)
        }

        /// Waits for events; returns how many entries were filled (0 on timeout or interruption).
        func wait(_ epoll: Int32, timeoutMS: Int32) -> Int {
            let n = epoll_wait(epoll, buffer.baseAddress, Int32(buffer.count), timeoutMS)
            return n < 0 ? 0 : Int(n)
        }
    }

    static func eventFD() throws(SystemError) -> Int32 {
        let fd = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
        guard fd >= 0 else { throw SystemError("eventfd") }
        return fd
    }

    /// An eventfd in blocking mode, for a thread to sleep on.
    static func blockingEventFD() throws(SystemError) -> Int32 {
        let fd = eventfd(0, Int32(EFD_CLOEXEC))
        guard fd >= 0 else { throw SystemError("eventfd") }
        return fd
    }

    /// Blocks until the eventfd is signalled, then resets it.
    static func eventFDWait(_ fd: Int32) {
        var value: UInt64 = 0
        while withUnsafeMutableBytes(of: &value, { Glibc.read(fd, $0.baseAddress, 8) }) < 0 && errno == EINTR {}
    }

    static func eventFDSignal(_ fd: Int32) {
        var one: UInt64 = 1
        _ = withUnsafeBytes(of: &one) { Glibc.write(fd, $0.baseAddress, 8) }
    }

    static func eventFDReset(_ fd: Int32) {
        var value: UInt64 = 0
        _ = withUnsafeMutableBytes(of: &value) { Glibc.read(fd, $0.baseAddress, 8) }
    }

    // MARK: Clocks and threads

    /// Milliseconds on the monotonic clock.
    static func monotonicMilliseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }

    /// Whole seconds since the epoch.
    static func epochSeconds() -> Int { Int(time(nil)) }

    /// The UTC calendar fields of an epoch time: year, month (1-12), day, weekday (0 = Sunday), h, m, s.
    static func utcFields(_ seconds: Int) -> (year: Int, month: Int, day: Int, weekday: Int, hour: Int, minute: Int, second: Int) {
        var t = time_t(seconds)
        var f = tm()
        gmtime_r(&t, &f)
        return (Int(f.tm_year) + 1900, Int(f.tm_mon) + 1, Int(f.tm_mday), Int(f.tm_wday), Int(f.tm_hour), Int(f.tm_min), Int(f.tm_sec))
    }

    /// A pthread key holding one object reference per thread (not retained by the key).
    struct ThreadLocal<Value: AnyObject>: Sendable {
        private let key: pthread_key_t

        init() {
            var key = pthread_key_t()
            pthread_key_create(&key, nil)
            self.key = key
        }

        /// The calling thread's value; the caller keeps it alive while it is set.
        var current: Value? {
            guard let raw = pthread_getspecific(key) else { return nil }
            return Unmanaged<Value>.fromOpaque(raw).takeUnretainedValue()
        }

        func set(_ value: Value?) {
            _ = pthread_setspecific(key, value.map { Unmanaged.passUnretained($0).toOpaque() })
        }
    }

    /// Starts a detached thread running `body`.
    static func spawnThread(name: String, _ body: @escaping @Sendable () -> Void) throws(SystemError) {
        final class Box {
            let body: @Sendable () -> Void
            let name: UnsafeMutablePointer<CChar>?
            init(_ body: @escaping @Sendable () -> Void, name: UnsafeMutablePointer<CChar>?) {
                self.body = body
                self.name = name
            }
            deinit { free(name) }
        }
        let box = Unmanaged.passRetained(Box(body, name: strdup(name))).toOpaque()
        var thread = pthread_t()
        let result = pthread_create(&thread, nil, { raw in
            let box = Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue()
            if let name = box.name { _ = chttp_name_current_thread(name) }
            box.body()
            return nil
        }, box)
        guard result == 0 else {
            Unmanaged<Box>.fromOpaque(box).release()
            throw SystemError("pthread_create", errno: result)
        }
        pthread_detach(thread)
    }
}
