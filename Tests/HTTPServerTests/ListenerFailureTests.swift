import Foundation
import Glibc
import HTTPServer
import Testing
import TestSupport

/// A listening socket that stops working under the server (shut down or closed by someone else) must not make an
/// event loop spin: accept(2) then fails on every call while epoll keeps reporting the socket.
@Suite struct ListenerFailureTests {
    @Test func aBrokenListenerDoesNotSpinTheLoop() async throws {
        let before = Set(LoopThreads.ids())
        let server = HTTPServer(configuration: HTTPServerConfiguration(host: "127.0.0.1", port: 0), handler: EchoHandler())
        try server.start()
        // The loop thread names itself before it serves anything: once a request is answered, it is among the new
        // ones (with those of servers other tests start meanwhile, which are checked the same way).
        let answer = try await offPool { () -> Int in
            let c = try RawConnection(port: server.localPort)
            try c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            return try c.readResponse().status
        }
        #expect(answer == 200)
        let loops = LoopThreads.ids().filter { !before.contains($0) }
        try #require(!loops.isEmpty)
        let listener = try #require(LoopThreads.listeningSocket(port: server.localPort))
        // Held open by the server; shutting it down makes every accept fail with EINVAL.
        Glibc.shutdown(listener, Int32(SHUT_RDWR))
        // A loop spinning on the listener never blocks again; a sound one goes back to sleep in epoll_wait, at the
        // latest at every sweep, each time counting one voluntary context switch.
        let start = loops.map(LoopThreads.voluntarySwitches)
        /// How often each loop thread went to sleep since `start`; nil for a thread that is gone (another test's
        /// server, stopped).
        func sleepsSinceStart() -> [Int?] {
            zip(loops, start).map { id, then in
                guard let now = LoopThreads.voluntarySwitches(id), let then else { return nil }
                return now - then
            }
        }
        #expect(
            await eventually { sleepsSinceStart().allSatisfy { ($0 ?? 3) >= 3 } },
            "loop threads stopped sleeping: \(sleepsSinceStart())")
        await server.shutdown(gracePeriod: .seconds(1))
    }
}

/// The event-loop threads of this process, read from /proc, each as `TID/STARTTIME`.
enum LoopThreads {
    static func ids() -> [String] {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        return tasks.filter { id in
            (try? String(contentsOfFile: "/proc/self/task/\(id)/comm", encoding: .utf8))?.hasPrefix("http-loop") == true
        }.map { id in "\(id)/\(startTime(id) ?? "")" }
    }

    /// When a thread started (field 22 of its stat, after the parenthesized name), so that a thread id the
    /// system has handed out again (the tests start thousands of threads and processes) is not taken for the
    /// thread that had it before.
    static func startTime(_ id: String) -> String? {
        guard let stat = try? String(contentsOfFile: "/proc/self/task/\(id)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        return fields.count > 19 ? String(fields[19]) : nil
    }

    /// How many times a thread has blocked (gone to sleep) since it started; nil once the thread is gone.
    static func voluntarySwitches(_ key: String) -> Int? {
        let id = key.split(separator: "/").first.map(String.init) ?? key
        guard startTime(id).map({ "\(id)/\($0)" }) == key,
            let status = try? String(contentsOfFile: "/proc/self/task/\(id)/status", encoding: .utf8)
        else { return nil }
        let line = status.split(separator: "\n").first { $0.hasPrefix("voluntary_ctxt_switches:") }
        return line.flatMap { Int($0.split(separator: "\t").last ?? "") }
    }

    /// The descriptor of this process's listening TCP socket bound to `port`.
    /// Every open descriptor is looked at (other tests hold thousands of connections at the same time).
    static func listeningSocket(port: Int) -> Int32? {
        let open = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []).compactMap { Int32($0) }
        for fd in open.sorted() {
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
