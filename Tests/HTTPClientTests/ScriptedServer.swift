import Foundation
import Glibc
import Synchronization

/// A loopback HTTP/1.1 server for the client's tests: each connection gets a thread, its request is read (head and
/// `Content-Length` body) and recorded, and `script` answers by writing to the socket however it likes (a
/// redirect, an endless body, half an answer and a stall). The server records how each connection ended.
final class ScriptedServer: Sendable {
    struct Received: Sendable {
        let requestLine: String
        let headers: [String: String]
        let body: [UInt8]
        var path: String { requestLine.split(separator: " ").dropFirst().first.map(String.init) ?? "" }
    }

    /// The accepted connection, for the script to write to.
    struct Connection: Sendable {
        let socket: Int32
        /// Writes all of `bytes`; `false` once the client has gone (the connection was closed or reset).
        func write(_ bytes: [UInt8]) -> Bool {
            var offset = 0
            while offset < bytes.count {
                let n = bytes[offset...].withUnsafeBytes { Glibc.send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                if n <= 0 { return false }
                offset += n
            }
            return true
        }
        func write(_ text: String) -> Bool { write(Array(text.utf8)) }
        /// Waits until the client closes or resets the connection; `true` if it did within 30 s.
        func waitForClose() -> Bool {
            var descriptor = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
            var buffer = [UInt8](repeating: 0, count: 4096)
            for _ in 0..<300 {
                if poll(&descriptor, 1, 100) > 0 {
                    let n = recv(socket, &buffer, buffer.count, 0)
                    if n <= 0 { return true }
                }
            }
            return false
        }
    }

    let port: Int
    private let listener: Int32
    private let received = Mutex<[Received]>([])
    private let closedEarly = Mutex<[String]>([])
    private let stopped = Atomic<Bool>(false)

    init(_ script: @escaping @Sendable (Received, Connection) -> Void) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 128) == 0 else { throw POSIXError(.EADDRINUSE) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        port = Int(UInt16(bigEndian: address.sin_port))
        listener = fd
        Thread { [self] in acceptLoop(script) }.start()
    }

    func url(_ path: String) -> URL { URL(string: "http://127.0.0.1:\(port)\(path)")! }
    var requests: [Received] { received.withLock { $0 } }

    func stop() {
        stopped.store(true, ordering: .releasing)
        shutdown(listener, Int32(SHUT_RDWR))
    }

    private func acceptLoop(_ script: @escaping @Sendable (Received, Connection) -> Void) {
        defer { close(listener) }
        while !stopped.load(ordering: .acquiring) {
            let client = accept(listener, nil, nil)
            if client < 0 {
                // A signal, a client gone before it was accepted, a moment out of descriptors: keep serving.
                if !stopped.load(ordering: .acquiring), [EINTR, ECONNABORTED, EMFILE, ENFILE, ENOBUFS].contains(errno) {
                    usleep(1000)
                    continue
                }
                return
            }
            Thread { [self] in
                defer { close(client) }
                guard let request = ScriptedServer.read(client) else { return }
                received.withLock { $0.append(request) }
                script(request, Connection(socket: client))
            }.start()
        }
    }

    private static func read(_ socket: Int32) -> Received? {
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = recv(socket, &buffer, buffer.count, 0)
            if n <= 0 { return nil }
            data.append(contentsOf: buffer[0..<n])
            guard let end = find([13, 10, 13, 10], in: data) else { continue }
            let lines = String(decoding: data[0..<end], as: UTF8.self).components(separatedBy: "\r\n")
            var headers: [String: String] = [:]
            for line in lines.dropFirst() {
                if let colon = line.firstIndex(of: ":") {
                    headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                }
            }
            let length = Int(headers["content-length"] ?? "0") ?? 0
            while data.count < end + 4 + length {
                let n = recv(socket, &buffer, buffer.count, 0)
                if n <= 0 { return nil }
                data.append(contentsOf: buffer[0..<n])
            }
            return Received(requestLine: lines[0], headers: headers, body: Array(data[(end + 4)..<(end + 4 + length)]))
        }
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for i in 0...(haystack.count - needle.count) where haystack[i] == needle[0] && Array(haystack[i..<(i + needle.count)]) == needle {
            return i
        }
        return nil
    }
}
