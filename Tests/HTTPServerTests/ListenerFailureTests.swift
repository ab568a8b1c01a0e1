import Foundation
import Glibc
import HTTPServer
import Testing

/// A listening socket that stops working under the server (shut down or closed by someone else) must not make an
/// event loop spin: accept(2) then fails on every call while epoll keeps reporting the socket.
@Suite struct ListenerFailureTests {
    @Test func aBrokenListenerDoesNotSpinTheLoop() async throws {
        let before = Set(LoopThreads.ids())
        let server = HTTPServer(configuration: HTTPServerConfiguration(host: "127.0.0.1", port: 0), handler: EchoHandler())
        try server.start()
        var loops: [String] = []
        // Threads name themselves once running.
        for _ in 0..<100 where loops.isEmpty {
            try await Task.sleep(for: .milliseconds(10))
            loops = LoopThreads.ids().filter { !before.contains($0) }
        }
        #expect(!loops.isEmpty)
        let listener = try #require(LoopThreads.listeningSocket(port: server.localPort))
        // Held open by the server; shutting it down makes every accept fail with EINVAL.
        Glibc.shutdown(listener, Int32(SHUT_RDWR))
        let start = loops.map(LoopThreads.cpuMilliseconds)
        try await Task.sleep(for: .milliseconds(500))
        let used = zip(loops.map(LoopThreads.cpuMilliseconds), start).map { $0 - $1 }
        #expect(used.allSatisfy { $0 < 200 }, "loop threads used \(used) ms of CPU in 500 ms")
        await server.shutdown(gracePeriod: .seconds(1))
    }
}

/// The event-loop threads of this process, read from /proc.
enum LoopThreads {
    static func ids() -> [String] {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        return tasks.filter { id in
            (try? String(contentsOfFile: "/proc/self/task/\(id)/comm", encoding: .utf8))?.hasPrefix("http-loop") == true
        }
    }

    /// User + system CPU time of a thread.
    static func cpuMilliseconds(_ id: String) -> Int {
        guard let stat = try? String(contentsOfFile: "/proc/self/task/\(id)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return 0 }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        let ticks = (Int(fields[11]) ?? 0) + (Int(fields[12]) ?? 0)
        return ticks * 1000 / Int(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// The descriptor of this process's listening TCP socket bound to `port`.
    static func listeningSocket(port: Int) -> Int32? {
        for fd in Int32(0)..<4096 {
            var accepting: Int32 = 0
            var size = socklen_t(MemoryLayout<Int32>.size)
            guard getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &size) == 0, accepting == 1 else { continue }
            var address = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let named = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
            }
            guard named == 0, address.ss_family == sa_family_t(AF_INET) else { continue }
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin_port)) }
            }
            if bound == port { return fd }
        }
        return nil
    }
}
