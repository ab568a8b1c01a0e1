import Foundation
import JSON
import Synchronization
import Testing
import TestSupport

@testable import HostApp
@testable import IntegrationContract
@testable import Manifests

/// Regex matching runs on a pool of its own, bounded, so a flood of catastrophic patterns neither holds the server's
/// handler threads nor queues without end.
@Suite struct RegexPoolTests {
    /// `^(a+)+$` backtracks for far longer than any limit on a long run of `a` with a `b` at the end.
    static let attack = String(repeating: "a", count: 40) + "b"

    @Test func healthzIsAnsweredWhileAttacksHoldThePool() async throws {
        let directory = Fixtures.temporaryDirectory()
        try #"{"commands": [], "regex_timeout_ms": 1000, "rules": [{"regex": {"pattern": "^(a+)+$"}}], "actions": [{"reply": "matched"}]}"#
            .write(to: directory.appendingPathComponent("victim.json"), atomically: true, encoding: .utf8)
        let pool = RegexPool(threads: 2)
        let host = try ManifestHost(directory: directory, regexPool: pool)
        defer { Task { await host.stop() } }

        // Each attacker sends three attacks one after another; together they keep both threads and part of the
        // queue busy for three match limits at least.
        let attackers = 20
        let finished = FinishedCount()
        let body = JSONValue.object(["text": .string(Self.attack)]).serializedBytes()
        let attacks = (0..<attackers).map { _ in
            Task {
                var statuses: [Int] = []
                for _ in 0..<3 {
                    let response = try await host.request(
                        "POST", "/hooks/victim", body: body, headers: ["Content-Type": "application/json"])
                    statuses.append(response.status)
                    #expect(response.status != 503 || response.headers["retry-after"] == "1")
                }
                finished.count.add(1, ordering: .relaxed)
                return statuses
            }
        }
        // One integration's matches run on half the threads.
        try #require(await eventually { pool.running == pool.threadsPerOwner }, "the attacks never reached the pool")
        for _ in 0..<3 {
            #expect(try await host.request("GET", "/healthz").status == 200)
        }
        #expect(
            finished.count.load(ordering: .relaxed) < attackers,
            "/healthz was answered only after every attack had finished")
        for attack in attacks {
            // Each one timed out (503) or, on a slow machine, found the queue full (503); none matched. ICU gives
            // up on a catastrophic match by itself after about a second of CPU, which is no match: 400.
            let statuses = try await attack.value
            #expect(statuses.allSatisfy { $0 == 503 || $0 == 400 }, "\(statuses)")
        }
    }

    @Test func anotherIntegrationMatchesWhileOneIsUnderAttack() async throws {
        let directory = Fixtures.temporaryDirectory()
        try #"{"commands": [], "regex_timeout_ms": 1000, "rules": [{"regex": {"pattern": "^(a+)+$"}}], "actions": [{"reply": "matched"}]}"#
            .write(to: directory.appendingPathComponent("victim.json"), atomically: true, encoding: .utf8)
        try #"{"commands": [], "regex_timeout_ms": 1000, "rules": [{"regex": {"pattern": "^(ok)+$"}}], "actions": [{"reply": "fine"}]}"#
            .write(to: directory.appendingPathComponent("bystander.json"), atomically: true, encoding: .utf8)
        let pool = RegexPool(threads: 2)
        let host = try ManifestHost(directory: directory, regexPool: pool)
        defer { Task { await host.stop() } }

        // More attacks than its share of the queue holds, again and again, all from one integration.
        let attackBody = JSONValue.object(["text": .string(Self.attack)]).serializedBytes()
        let stop = Flag()
        let attacks = (0..<(pool.queuePerOwner + 8)).map { _ in
            Task {
                var statuses: Set<Int> = []
                while !stop.isSet {
                    let response = try await host.request(
                        "POST", "/hooks/victim", body: attackBody, headers: ["Content-Type": "application/json"])
                    statuses.insert(response.status)
                }
                return statuses
            }
        }
        try #require(await eventually { pool.running == pool.threadsPerOwner }, "the attacks never reached the pool")
        // The other integration's matches find a thread and a place: answered every time.
        let body = JSONValue.object(["text": "okok"]).serializedBytes()
        for _ in 0..<20 {
            let response = try await host.request(
                "POST", "/hooks/bystander", body: body, headers: ["Content-Type": "application/json"])
            #expect(response.status == 200 && response.text == "fine", "\(response.status) \(response.text)")
        }
        stop.set()
        var seen: Set<Int> = []
        for attack in attacks { seen.formUnion(try await attack.value) }
        // The attacks themselves timed out or found their share taken: 503 (or 400 where ICU gave up first).
        #expect(seen.isSubset(of: [503, 400]) && seen.contains(503), "\(seen)")
    }

    @Test func oneOwnerHoldsHalfTheQueue() async throws {
        let pool = RegexPool(threads: 2)
        let regex = try SafeRegex(pattern: "^(a+)+$")
        let attacks = (0..<pool.queueLimit).map { _ in
            Task { await pool.firstMatch(regex, in: Self.attack, timeout: .seconds(3600), owner: "greedy") }
        }
        try #require(await eventually { pool.running == 1 })
        // With the greedy owner's half taken, another owner still gets a place and a thread.
        #expect(await pool.firstMatch(regex, in: "aaa", timeout: .seconds(30), owner: "other") == .match([:]))
        for attack in attacks { attack.cancel() }
        var outcomes: [SafeRegex.Outcome] = []
        for attack in attacks { outcomes.append(await attack.value) }
        #expect(outcomes.filter { $0 == .busy }.count == pool.queueLimit - pool.queuePerOwner)
        #expect(outcomes.allSatisfy { $0 == .busy || $0 == .timedOut || $0 == .noMatch })
    }

    @Test func aFullQueueRefusesAtOnce() async throws {
        let pool = RegexPool(threads: 1)
        let regex = try SafeRegex(pattern: "^(a+)+$")
        let outcomes = await withTaskGroup(of: SafeRegex.Outcome.self) { group in
            for _ in 0..<(pool.queueLimit + 10) {
                group.addTask { await pool.firstMatch(regex, in: Self.attack, timeout: .seconds(1)) }
            }
            return await group.reduce(into: [SafeRegex.Outcome]()) { $0.append($1) }
        }
        #expect(outcomes.allSatisfy { $0 == .timedOut || $0 == .busy })
        #expect(outcomes.contains(.busy))
    }

    @Test func aQueuedMatchEndsAtItsOwnLimit() async throws {
        let pool = RegexPool(threads: 1)
        let regex = try SafeRegex(pattern: "^(a+)+$")
        // The one thread is held by catastrophic matches that only cancellation stops — or ICU itself, which gives
        // up on one after about a second of CPU (reading as no match): three in a row hold it for seconds.
        let blockers = (0..<3).map { _ in Task { await pool.firstMatch(regex, in: Self.attack, timeout: .seconds(3600)) } }
        try #require(await eventually { pool.running == 1 })
        // Waiting behind them, a match with a short limit ends when that passes, not when the thread frees up.
        #expect(await pool.firstMatch(regex, in: "aaa", timeout: .milliseconds(50)) == .timedOut)
        for blocker in blockers { blocker.cancel() }
        for blocker in blockers {
            let stopped = await blocker.value
            #expect(stopped == .timedOut || stopped == .noMatch)
        }
        #expect(await pool.firstMatch(regex, in: "aaa", timeout: .seconds(30)) == .match([:]))
    }

    @Test func regexTimeoutAboveTheCapIsRefusedAtLoad() {
        #expect(Fixtures.problems(#"{"regex_timeout_ms": 1001, "actions": []}"#) == [
            "test.json: regex_timeout_ms: must be a whole number from 1 to 1000"
        ])
        #expect(Fixtures.problems(#"{"regex_timeout_ms": 1000, "actions": []}"#) == [])
    }
}

/// How many attackers are done.
private final class FinishedCount: Sendable {
    let count = Atomic<Int>(0)
}
