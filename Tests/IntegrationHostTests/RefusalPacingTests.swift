import Foundation
import HTTPTypes
import HostApp
import JSON
import Testing
import TestSupport

/// A client that keeps coming back sooner than `Retry-After` asks gets its further 503s held (issue: containment,
/// item 10: a flood that ignores 503s must not crowd out other clients).
@Suite struct RefusalPacingTests {
    static let peer = PeerAddress(bytes: [127, 0, 0, 2], port: 40000)

    @Test func pastTheBurstAnAddressesRefusalsAreHeldForTheirRetryAfter() {
        let pacer = RefusalPacer(burst: 3, maxHold: .seconds(1))
        let first = (0..<5).map { _ in pacer.hold(for: Self.peer, retryAfter: 5, now: 50) }
        #expect(first == [nil, nil, nil, .seconds(1), .seconds(1)])
        // Another address, and the next second, start afresh; `Retry-After` under the cap is the hold.
        #expect(pacer.hold(for: PeerAddress(bytes: [127, 0, 0, 3], port: 1), retryAfter: 1, now: 50) == nil)
        #expect((0..<4).map { _ in pacer.hold(for: Self.peer, retryAfter: 1, now: 51) } == [nil, nil, nil, .seconds(1)])
    }

    @Test func anIPv6ClientCountsByItsSlash64() {
        let pacer = RefusalPacer(burst: 1)
        let one = PeerAddress(bytes: [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1] + [UInt8](repeating: 0, count: 7) + [1], port: 1)
        let sameNetwork = PeerAddress(bytes: [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1] + [UInt8](repeating: 9, count: 8), port: 2)
        #expect(pacer.hold(for: one, retryAfter: 1, now: 9) == nil)
        #expect(pacer.hold(for: sameNetwork, retryAfter: 1, now: 9) == .seconds(1))
    }

    /// End to end: bursts of refusals from one client, all answered 503 with `Retry-After`, until the host has
    /// seen more than 10 in one second and held the rest (the log says so) — however slowly a busy machine sends them.
    @Test func aFloodOfRefusalsIsHeldAndStillAnswered() async throws {
        let host = try TestHost(files: ["full.scripted": #"{"busy": "full up"}"#])
        defer { Task { await host.stop() } }
        let held = "127.0.0.1 keeps coming back before Retry-After; its 503s are held 1.0 seconds"
        var statuses: [(Int, String?)] = []
        let paced = await eventually(timeout: .seconds(120)) {
            let burst: [(Int, String?)] = (try? await withThrowingTaskGroup(of: (Int, String?).self) { group in
                for _ in 0..<25 {
                    group.addTask {
                        let response = try await host.request("POST", "/hipchat", body: try Fixtures.hipchat(message: "/full"))
                        return (response.status, response.headers["retry-after"])
                    }
                }
                return try await group.reduce(into: [(Int, String?)]()) { $0.append($1) }
            }) ?? [(0, nil)]
            statuses += burst
            return host.log.contains(held)
        }
        #expect(paced)
        #expect(!statuses.isEmpty && statuses.allSatisfy { $0.0 == 503 && $0.1 == "1" })
    }
}
