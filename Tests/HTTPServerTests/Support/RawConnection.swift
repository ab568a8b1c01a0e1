import Foundation
import Glibc

@testable import HTTPServer

/// A blocking TCP client for byte-exact HTTP exchanges with the server under test. Use it inside `offPool`,
/// never directly on the cooperative pool (the server's handlers need those threads).
final class RawConnection: @unchecked Sendable {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    private(set) var fd: Int32
    private var buffer: [UInt8] = []

    /// Connects to `host`:`port`, from the local address `source` when given (any 127/8 address works on Linux,
    /// so a test can be several clients).
    init(port: Int, host: String = "127.0.0.1", from source: String? = nil) throws {
        guard let address = SocketAddress(host: host, port: port) else {
            throw Failure(description: "\(host) is not an IP address")
        }
        fd = socket(address.family, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket failed") }
        if let source {
            guard let local = SocketAddress(host: source, port: 0), local.withSockAddr({ bind(fd, $0, $1) }) == 0 else {
                let error = errno
                close()
                throw Failure(description: "bind to \(source) failed: errno \(error)")
            }
        }
        let result = address.withSockAddr { connect(fd, $0, $1) }
        guard result == 0 else {
            let error = errno
            // A throwing class initializer still runs deinit, so go through the idempotent close: closing here and
            // again there closed whatever socket had reused the number meanwhile (another test's listener).
            close()
            throw Failure(description: "connect to \(host):\(port) failed: errno \(error)")
        }
        // Generous: a read waits this long only when the server fails to answer, never because the machine is busy.
        setTimeout(30)
    }

    deinit { close() }

    /// Closes the socket (idempotent).
    func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }

    func setTimeout(_ seconds: Double) {
        var tv = timeval(tv_sec: Int(seconds), tv_usec: Int((seconds - Double(Int(seconds))) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    func send(_ text: String) throws { try send(Array(text.utf8)) }

    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw Failure(description: "send failed: errno \(errno)") }
            offset += n
        }
    }

    /// Half-closes: the server sees end of input.
    func shutdownWrite() { Glibc.shutdown(fd, Int32(SHUT_WR)) }

    /// Closes with a reset instead of a FIN.
    func reset() {
        var option = linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &option, socklen_t(MemoryLayout<linger>.size))
        close()
    }

    enum ReadOutcome: Equatable {
        case data
        case closed
        case timedOut
        case reset
    }

    /// Reads once into the buffer.
    @discardableResult
    func fill() -> ReadOutcome {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n > 0 {
            buffer.append(contentsOf: chunk[0..<n])
            return .data
        }
        if n == 0 { return .closed }
        if errno == EAGAIN || errno == EWOULDBLOCK { return .timedOut }
        return .reset
    }

    /// Reads one complete response (a 1xx counts as one); throws if the connection ends or times out first.
    func readResponse() throws -> RawResponse {
        while true {
            if let (response, used) = RawResponse.parse(buffer) {
                buffer.removeFirst(used)
                return response
            }
            let outcome = fill()
            guard outcome == .data else {
                throw Failure(description: "no complete response (\(outcome)); got \(String(decoding: buffer, as: UTF8.self))")
            }
        }
    }

    /// Reads until the server closes, a reset, or the timeout; returns what ended it and the bytes left unparsed.
    func readUntilClosed() -> (ReadOutcome, [UInt8]) {
        while true {
            let outcome = fill()
            if outcome != .data {
                defer { buffer = [] }
                return (outcome, buffer)
            }
        }
    }

    func discardBuffer() { buffer = [] }

    /// Whether the server has closed or reset the connection, seen in the kernel's TCP state without reading.
    var isClosedByPeer: Bool {
        var info = tcp_info()
        var size = socklen_t(MemoryLayout<tcp_info>.size)
        guard getsockopt(fd, Int32(IPPROTO_TCP), Int32(TCP_INFO), &info, &size) == 0 else { return true }
        return Int(info.tcpi_state) != TCP_ESTABLISHED
    }

    /// The unparsed bytes received so far.
    var received: [UInt8] { buffer }
}
