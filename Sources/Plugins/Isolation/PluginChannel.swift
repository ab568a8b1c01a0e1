import Glibc
import Synchronization

/// One end of the socketpair between the host and a plugin worker: frames of `u32 little-endian length | u8 kind |
/// payload` (the length counts the kind byte and the payload), written whole under a lock and read with blocking
/// calls by one reader at a time. The wire format is documented in example/README.md ("Plugin workers").
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

    let fd: Int32
    private let writeLock = Mutex(())

    init(fd: Int32) { self.fd = fd }

    /// The descriptor is closed only when nothing can use the channel any more: a job still running (or one
    /// submitted after the worker died) must never read or write a number the system has since handed out again.
    deinit { _ = Glibc.close(fd) }

    func send(_ kind: Kind, _ payload: some Collection<UInt8>) throws(Failure) {
        let length = UInt32(payload.count + 1)
        var frame: [UInt8] = []
        frame.reserveCapacity(payload.count + 5)
        for shift in stride(from: 0, to: 32, by: 8) { frame.append(UInt8(truncatingIfNeeded: length >> UInt32(shift))) }
        frame.append(kind.rawValue)
        frame.append(contentsOf: payload)
        let written = writeLock.withLock { _ in PluginChannel.writeAll(fd, frame) }
        guard written else { throw .closed }
    }

    /// The next frame; blocks until one arrives.
    func receive() throws(Failure) -> Frame {
        var header = [UInt8](repeating: 0, count: 5)
        guard PluginChannel.readAll(fd, &header) else { throw .closed }
        let length = Int(header[0]) | Int(header[1]) << 8 | Int(header[2]) << 16 | Int(header[3]) << 24
        guard length >= 1, length <= PluginChannel.maxFrame else { throw .malformed("frame length \(length)") }
        guard let kind = Kind(rawValue: header[4]) else { throw .malformed("frame kind \(header[4])") }
        var payload = [UInt8](repeating: 0, count: length - 1)
        guard PluginChannel.readAll(fd, &payload) else { throw .closed }
        return Frame(kind: kind, payload: payload)
    }

    /// Ends the conversation: a read in progress returns end of file, every later read and write fails. The
    /// descriptor itself stays open until the channel is freed.
    func shutDown() { _ = Glibc.shutdown(fd, Int32(SHUT_RDWR)) }

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

    private static func readAll(_ fd: Int32, _ bytes: inout [UInt8]) -> Bool {
        let count = bytes.count
        return bytes.withUnsafeMutableBytes { buffer in
            var offset = 0
            while offset < count {
                let n = Glibc.read(fd, buffer.baseAddress! + offset, count - offset)
                if n < 0, errno == EINTR { continue }
                guard n > 0 else { return false }
                offset += n
            }
            return true
        }
    }
}
