import Foundation
import Glibc
import Testing
import TestSupport

@testable import HostApp
@testable import Manifests

/// End to end on the real host: a client that leaves while its webhook runs a program cancels the run (the server
/// cancels the handler, the dispatcher the run, the exec action kills its process group), so nothing is left
/// running for a caller who is gone.
@Suite struct ClientDisconnectTests {
    static let clients = 200

    @Test func clientsLeavingASlowExecHookLeaveNoProcessesBehind() async throws {
        // Both ends of every connection plus three pipes per program.
        _ = DescriptorLimit.raise(toAtLeast: 8 * Self.clients + 1024)
        let directory = Fixtures.temporaryDirectory()
        let pidDirectory = directory.appendingPathComponent("pids")
        try FileManager.default.createDirectory(at: pidDirectory, withIntermediateDirectories: true)
        // The file's name is the program's pid as the host numbers it (`$$` is 1 in the program's own PID namespace;
        // /proc is the host's), and `exec` keeps that pid for the sleep.
        Fixtures.script(
            "slow.sh", "#!/bin/sh\nread -r pid rest < /proc/self/stat\n: > \"$PID_DIR/$pid\"\nexec sleep 600\n", in: directory)
        try #"""
            {"actions": [{"exec": {"argv": ["slow.sh"], "env": {"PID_DIR": "\#(pidDirectory.path)"}, "timeout": 900}}],
             "limits": {"concurrent": 1000, "queued": 1000}}
            """#.write(to: directory.appendingPathComponent("slow.json"), atomically: true, encoding: .utf8)
        // The deadline is far away: only the clients leaving can end these runs while the test waits.
        let host = try ManifestHost(directory: directory, maxExec: 1000, deadline: .seconds(3600))
        let port = host.server.port

        let sockets = try await Self.offPool {
            try (0..<Self.clients).map { _ in
                let fd = try Self.connect(port: port)
                Self.send(fd, "POST /hooks/slow HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")
                return fd
            }
        }
        let started = await eventually(timeout: .seconds(120)) { Self.pids(in: pidDirectory).count == Self.clients }
        let pids = Self.pids(in: pidDirectory)
        #expect(started, "\(pids.count) of \(Self.clients) programs started")
        #expect(pids.allSatisfy { kill($0, 0) == 0 })

        for fd in sockets { close(fd) }
        let gone = await eventually(timeout: .seconds(120)) { pids.allSatisfy { kill($0, 0) != 0 && errno == ESRCH } }
        #expect(gone, "\(pids.filter { kill($0, 0) == 0 }.count) programs still running")
        await host.stop()
    }

    static func pids(in directory: URL) -> [pid_t] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).compactMap { pid_t($0) }
    }

    static func connect(port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = in_addr_t(UInt32(0x7F00_0001).bigEndian)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard fd >= 0, result == 0 else {
            if fd >= 0 { close(fd) }
            throw POSIXError(.ECONNREFUSED)
        }
        return fd
    }

    static func send(_ fd: Int32, _ text: String) {
        _ = Array(text.utf8).withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    /// Blocking socket calls on a thread of their own, never the cooperative pool the host's handlers use.
    static func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread { continuation.resume(with: Result { try body() }) }
        }
    }
}
