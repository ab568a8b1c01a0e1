import Foundation
import Glibc
import JSON
import Testing

@testable import Plugins

extension PluginTests {
    /// The worker protocol's framing over a real socketpair: posted frames ride along with the next one sent,
    /// reads are buffered, an impatient read gives up on silence and keeps the bytes of a frame that came in part.
    @Suite struct PluginChannelTests {
        /// Two connected channels, the way host and worker hold them.
        static func pair() throws -> (PluginChannel, PluginChannel) {
            var sockets: [Int32] = [-1, -1]
            guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &sockets) == 0 else {
                throw FixtureError("socketpair failed")
            }
            return (PluginChannel(fd: sockets[0]), PluginChannel(fd: sockets[1]))
        }

        /// Whether `fd` has bytes to read now.
        static func readable(_ fd: Int32) -> Bool {
            var byte: UInt8 = 0
            return recv(fd, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT)) > 0
        }

        @Test func postedFramesGoOutWithTheNextFrameSentInOrder() throws {
            let (worker, host) = try Self.pair()
            try worker.post(.log, [2] + Array("one".utf8))
            try worker.post(.log, [3] + Array("two".utf8))
            // Nothing is written until a frame is sent.
            #expect(!Self.readable(host.fd))
            try worker.send(.storage, Array(#"{"op":"keys"}"#.utf8))
            let frames = try (0..<3).map { _ in try host.receive() }
            #expect(frames.map(\.kind) == [.log, .log, .storage])
            #expect(frames[0].payload == [2] + Array("one".utf8))
            #expect(frames[1].payload == [3] + Array("two".utf8))
            #expect(frames[2].payload == Array(#"{"op":"keys"}"#.utf8))
        }

        @Test func postedFramesPastTheirCapGoOutOnTheirOwn() throws {
            let (worker, host) = try Self.pair()
            let line = [UInt8](repeating: UInt8(ascii: "x"), count: 1000)
            var posted = 0
            while !Self.readable(host.fd) {
                try worker.post(.log, [2] + line)
                posted += 1
                #expect(posted <= PluginChannel.maxPosted / 1000 + 1)
            }
            for _ in 0..<posted { #expect(try host.receive().payload == [2] + line) }
        }

        @Test func anImpatientReadGivesUpOnSilenceAndKeepsAPartialFrame() throws {
            let (worker, host) = try Self.pair()
            #expect(try host.receive(patient: false) == nil)
            // A frame whose bytes come in two parts, with a pause longer than the patience between them.
            let payload = Array(#"{"status":0,"reply":null}"#.utf8)
            let whole = [UInt8(payload.count + 1), 0, 0, 0, PluginChannel.Kind.result.rawValue] + payload
            _ = whole.withUnsafeBytes { send(worker.fd, $0.baseAddress, 7, 0) }
            #expect(try host.receive(patient: false) == nil)
            usleep(UInt32(PluginChannel.patienceMilliseconds) * 3_000)
            #expect(try host.receive(patient: false) == nil)
            _ = whole.withUnsafeBytes { send(worker.fd, $0.baseAddress! + 7, whole.count - 7, 0) }
            let frame = try #require(try host.receive(patient: false))
            #expect(frame.kind == .result)
            #expect(frame.payload == payload)
            // A patient read after impatient ones waits as long as it takes.
            let late = Thread {
                usleep(UInt32(PluginChannel.patienceMilliseconds) * 5_000)
                try? worker.send(.log, [2])
            }
            late.start()
            #expect(try host.receive(patient: true)?.payload == [2])
        }

        @Test func largeFramesAndManyFramesInOneReadComeThroughWhole() throws {
            let (worker, host) = try Self.pair()
            let large = (0..<(3 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            let writer = Thread {
                try? worker.send(.call, large)
                for index in 0..<100 { try? worker.send(.storageResult, [UInt8(index)]) }
                try? worker.send(.call, large.prefix(70_000))
            }
            writer.start()
            #expect(try host.receive().payload == large)
            for index in 0..<100 { #expect(try host.receive().payload == [UInt8(index)]) }
            #expect(try host.receive().payload == Array(large.prefix(70_000)))
        }

        @Test func aMalformedOrClosedChannelFails() throws {
            let (worker, host) = try Self.pair()
            let unknownKind: [UInt8] = [1, 0, 0, 0, 99]
            _ = unknownKind.withUnsafeBytes { send(worker.fd, $0.baseAddress, $0.count, 0) }
            #expect(throws: PluginChannel.Failure.malformed("frame kind 99")) { try host.receive() }
            let (other, peer) = try Self.pair()
            other.shutDown()
            #expect(throws: PluginChannel.Failure.closed) { try peer.receive() }
            #expect(throws: PluginChannel.Failure.closed) { try peer.receive(patient: false) }
        }
    }
}
