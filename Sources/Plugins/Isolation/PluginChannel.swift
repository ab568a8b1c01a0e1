import Glibc
import Synchronization

/// One end of the socketpair between the host and a plugin worker: frames of `u32 little-endian length | u8 kind |
/// payload` (the length counts the kind byte and the payload). The wire format is documented in example/README.md
/// ("The worker protocol").
///
/// Every write is one `send` of whole frames under a lock: frames that need no answer (`log`) can be `post`ed,
/// which queues them (up to 64 KiB) to go out with the next frame sent, so a plugin's log lines cost the host no
/// wakeup of their own. Reads go through a buffer, one reader at a time: one `read` usually brings a whole frame,
/// or several, and a partial frame keeps its bytes for the next read.
final class PluginChannel: Sendable {
    /// What a frame carries.
    enum Kind: UInt8, Sendable {
        /// worker → host, once: the descriptor as JSON (`name`, `summary`, `commands`, `routes`).
        case loaded = 1
        /// worker → host, once: why the plugin could not be loaded (UTF-8 text); the worker exits.
        case loadFailed = 2
        /// worker → host, during a call: `u8 level | message`. Not answered.
        case log = 3
        /// worker → host, during a call: a storage operation as JSON; answered by `storageResult`.
        case storage = 4
        /// worker → host: how the call ended, as JSON (`status`, `reply`, `error`).
        case result = 5
        /// host → worker: one call; the payload is the request document `handle` receives.
        case call = 16
        /// host → worker: the answer to the last `storage` frame, as JSON.
        case storageResult = 17
        /// host → worker, just before a `call`: values the call may read and room it may write in (`CallPrelude`).
        case prelude = 18
    }

    struct Frame: Sendable {
        let kind: Kind
        let payload: [UInt8]
    }

    /// Why a frame could not be read or written: the other end is gone, or it broke the protocol.
    enum Failure: Error, Equatable {
        case closed
        case malformed(String)
    }

    /// Frames larger than this are a protocol error (a request body is at most a few MiB).
    static let maxFrame = 64 << 20
    /// Posted frames wait at most this many bytes before they are sent on their own.
    static let maxPosted = 64 << 10
    /// How long an impatient read waits for more bytes, in milliseconds (`poll`'s unit).
    static let patienceMilliseconds: Int32 = 2
    /// How many times a read that finds nothing yields the processor (`sched_yield`) before it sleeps in `poll`.
    /// Host and worker take turns: the answer a read waits for is often made by a thread that is runnable on the
    /// same processor, and yielding to it costs a fraction of a sleep and a wakeup. The parrot benchmark answered
    /// about 1.5× the requests with 20 (20, 50 and 100 measured alike); a yield with nothing else to run is a
    /// system call, so a read that ends up sleeping spent at most 20 of them.
    static let yieldsBeforeSleeping = 20

    let fd: Int32
    private let output = Mutex<[UInt8]>([])
    private let input = Mutex(ReadBuffer())

    init(fd: Int32) { self.fd = fd }

    /// The descriptor is closed only when nothing can use the channel any more: a job still running (or one
    /// submitted after the worker died) must never read or write a number the system has since handed out again.
    deinit {
        _ = Glibc.close(fd)
        input.withLock { $0.release() }
    }

    /// Sends a frame now, with any posted before it, in one write.
    func send(_ kind: Kind, _ payload: some Collection<UInt8>) throws(Failure) {
        let written = output.withLock { pending in
            PluginChannel.appendFrame(kind, payload, to: &pending)
            defer { pending.removeAll(keepingCapacity: pending.capacity <= PluginChannel.maxPosted * 2) }
            return PluginChannel.writeAll(fd, pending)
        }
        guard written else { throw .closed }
    }

    /// Queues a frame that needs no answer to go out with the next one sent (or now, once 64 KiB are waiting).
    func post(_ kind: Kind, _ payload: some Collection<UInt8>) throws(Failure) {
        let written = output.withLock { pending in
            PluginChannel.appendFrame(kind, payload, to: &pending)
            guard pending.count >= PluginChannel.maxPosted else { return true }
            defer { pending.removeAll() }
            return PluginChannel.writeAll(fd, pending)
        }
        guard written else { throw .closed }
    }

    /// The next frame; blocks until one arrives.
    func receive() throws(Failure) -> Frame {
        while true {
            if let frame = try receive(patient: true) { return frame }
        }
    }

    /// The next frame. Patient: waits as long as it takes. Impatient: gives up (`nil`) when no byte has come for
    /// `patienceMilliseconds`; the bytes of a frame that has begun to arrive are kept for the next read.
    func receive(patient: Bool) throws(Failure) -> Frame? {
        try input.withLock { (buffer) throws(Failure) -> Frame? in
            while true {
                if let frame = try buffer.nextFrame() { return frame }
                switch buffer.fill(from: fd, timeout: patient ? -1 : PluginChannel.patienceMilliseconds) {
                case .read: continue
                case .closed: throw .closed
                case .timedOut:
                    if patient { continue }
                    return nil
                }
            }
        }
    }

    /// Ends the conversation: a read in progress returns end of file, every later read and write fails. The
    /// descriptor itself stays open until the channel is freed.
    func shutDown() { _ = Glibc.shutdown(fd, Int32(SHUT_RDWR)) }

    private static func appendFrame(_ kind: Kind, _ payload: some Collection<UInt8>, to out: inout [UInt8]) {
        let length = UInt32(payload.count + 1)
        out.reserveCapacity(out.count + payload.count + 5)
        for shift in stride(from: 0, to: 32, by: 8) { out.append(UInt8(truncatingIfNeeded: length >> UInt32(shift))) }
        out.append(kind.rawValue)
        out.append(contentsOf: payload)
    }

    private static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let n = Glibc.send(fd, buffer.baseAddress! + offset, buffer.count - offset, Int32(MSG_NOSIGNAL))
                if n < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                offset += n
            }
            return true
        }
    }
}

/// Bytes read from the socket and not yet handed out as frames. Unchecked because it owns raw memory; safe
/// because only the channel's `input` lock ever reaches it.
private struct ReadBuffer: @unchecked Sendable {
    private var base = UnsafeMutableRawPointer.allocate(byteCount: ReadBuffer.standardCapacity, alignment: 8)
    private var capacity = ReadBuffer.standardCapacity
    private var start = 0
    private var end = 0

    static let standardCapacity = 64 << 10

    enum Fill { case read, closed, timedOut }

    mutating func release() { base.deallocate() }

    /// The first whole frame in the buffer, if there is one.
    mutating func nextFrame() throws(PluginChannel.Failure) -> PluginChannel.Frame? {
        guard end - start >= 5 else { return nil }
        let header = base + start
        let length = Int(header.load(fromByteOffset: 0, as: UInt8.self))
            | Int(header.load(fromByteOffset: 1, as: UInt8.self)) << 8
            | Int(header.load(fromByteOffset: 2, as: UInt8.self)) << 16
            | Int(header.load(fromByteOffset: 3, as: UInt8.self)) << 24
        guard length >= 1, length <= PluginChannel.maxFrame else { throw .malformed("frame length \(length)") }
        let kindByte = header.load(fromByteOffset: 4, as: UInt8.self)
        guard let kind = PluginChannel.Kind(rawValue: kindByte) else { throw .malformed("frame kind \(kindByte)") }
        guard end - start >= 4 + length else {
            reserve(4 + length)
            return nil
        }
        let payload = [UInt8](UnsafeRawBufferPointer(start: header + 5, count: length - 1))
        start += 4 + length
        if start == end {
            start = 0
            end = 0
            if capacity > ReadBuffer.standardCapacity { shrink() }
        }
        return PluginChannel.Frame(kind: kind, payload: payload)
    }

    /// One read into the free space, waiting up to `timeout` milliseconds (-1: for ever) for bytes to come.
    ///
    /// Before it waits, it yields the processor a few times (`PluginChannel.yieldsBeforeSleeping`). The wait is a
    /// `poll` for input, not a blocking `read`: a reader blocked in `read` on a Unix socket is also woken each time
    /// the other end consumes what this end sent (the kernel's write-space wakeup shares the socket's wait queue,
    /// and a blocked read does not filter it); `poll` for `POLLIN` ignores those.
    mutating func fill(from fd: Int32, timeout: Int32) -> Fill {
        if end == capacity { reserve(start > 0 ? end - start : capacity * 2) }
        var yields = PluginChannel.yieldsBeforeSleeping
        while true {
            let n = Glibc.recv(fd, base + end, capacity - end, Int32(MSG_DONTWAIT))
            if n > 0 {
                end += n
                return .read
            }
            if n == 0 { return .closed }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK:
                if yields > 0 {
                    yields -= 1
                    sched_yield()
                    continue
                }
                var waiting = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                let ready = Glibc.poll(&waiting, 1, timeout)
                if ready == 0 { return .timedOut }
                if ready < 0 && errno != EINTR { return .closed }
            default: return .closed
            }
        }
    }

    /// Room for `total` bytes from `start`: the unread bytes move to the front, and the buffer grows if needed.
    private mutating func reserve(_ total: Int) {
        if start > 0 {
            memmove(base, base + start, end - start)
            end -= start
            start = 0
        }
        guard total > capacity else { return }
        let larger = UnsafeMutableRawPointer.allocate(byteCount: total, alignment: 8)
        larger.copyMemory(from: base, byteCount: end)
        base.deallocate()
        base = larger
        capacity = total
    }

    private mutating func shrink() {
        base.deallocate()
        base = UnsafeMutableRawPointer.allocate(byteCount: ReadBuffer.standardCapacity, alignment: 8)
        capacity = ReadBuffer.standardCapacity
    }
}
