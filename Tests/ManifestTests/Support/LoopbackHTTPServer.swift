import Foundation
import Glibc
import Synchronization

/// A tiny HTTP/1.1 server on 127.0.0.1 for outbound-call tests: answers every request with a fixed status, extra
/// header lines and body, closes the connection, and records what it received. With `answers: false` it records the first request
/// and holds it unanswered until `stop()`.
final class LoopbackHTTPServer: Sendable {
    struct Received: Sendable {
        var requestLine: String
        var headers: [String: String]
        var body: [UInt8]
    }

    let port: Int
    private let socketFD: Int32
    private let received = Mutex<[Received]>([])
    private let stopped = Atomic<Bool>(false)
    private let released = DispatchSemaphore(value: 0)

    init(status: Int = 200, headers: String = "", body: String = #"{"ok":true}"#, answers: Bool = true) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 16) == 0 else { throw POSIXError(.EADDRINUSE) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        self.port = Int(UInt16(bigEndian: address.sin_port))
        self.socketFD = fd
        let thread = Thread { [self] in self.serve(status: status, headers: headers, body: body, answers: answers) }
        thread.start()
    }

    var requests: [Received] { received.withLock { $0 } }

    /// Wakes the serving thread, which closes the socket itself: closing it here could let the number be reused
    /// by another test's socket while that thread is about to accept on it.
    func stop() {
        stopped.store(true, ordering: .releasing)
        released.signal()
        shutdown(socketFD, Int32(SHUT_RDWR))
    }

    private func serve(status: Int, headers extraHeaders: String, body: String, answers: Bool) {
        defer { close(socketFD) }
        while !stopped.load(ordering: .acquiring) {
            let client = accept(socketFD, nil, nil)
            if client < 0 {
                // A signal, a client gone before it was accepted, a moment out of descriptors: keep serving.
                if !stopped.load(ordering: .acquiring), [EINTR, ECONNABORTED, EMFILE, ENFILE, ENOBUFS].contains(errno) {
                    usleep(1000)
                    continue
                }
                return
            }
            var data: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 65536)
            var headerEnd: Int?
            var contentLength = 0
            while true {
                let n = read(client, &buffer, buffer.count)
                if n <= 0 { break }
                data.append(contentsOf: buffer[0..<n])
                if headerEnd == nil, let end = LoopbackHTTPServer.find([13, 10, 13, 10], in: data) {
                    headerEnd = end + 4
                    let head = String(decoding: data[0..<end], as: UTF8.self)
                    for line in head.components(separatedBy: "\r\n") where line.lowercased().hasPrefix("content-length:") {
                        contentLength = Int(line.dropFirst(15).trimmingCharacters(in: .whitespaces)) ?? 0
                    }
                }
                if let headerEnd, data.count >= headerEnd + contentLength { break }
            }
            if let headerEnd {
                let lines = String(decoding: data[0..<(headerEnd - 4)], as: UTF8.self).components(separatedBy: "\r\n")
                var headers: [String: String] = [:]
                for line in lines.dropFirst() {
                    if let colon = line.firstIndex(of: ":") {
                        headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                    }
                }
                let record = Received(requestLine: lines[0], headers: headers, body: Array(data[headerEnd...]))
                received.withLock { $0.append(record) }
            }
            guard answers else {
                released.wait()
                close(client)
                return
            }
            let response = "HTTP/1.1 \(status) X\r\n\(extraHeaders)Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)"
            _ = response.withCString { write(client, $0, strlen($0)) }
            close(client)
        }
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for i in 0...(haystack.count - needle.count) where Array(haystack[i..<(i + needle.count)]) == needle { return i }
        return nil
    }
}
