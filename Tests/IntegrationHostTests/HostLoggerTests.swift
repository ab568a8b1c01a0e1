import Foundation
import JSON
import Synchronization
import HostApp
@testable import Logging
import HostCore
import IntegrationContract
import Manifests
import Platforms
import Plugins
import Testing

@Suite struct HostLoggerTests {
    @Test func redactsSecretsEscapesNewlinesAndAppends() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ih-log-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "earlier line\n".write(toFile: path, atomically: true, encoding: .utf8)
        let logger = try HostLogger(
            minimumLevel: .info, logFile: path, secrets: ["s3cretXY", "s3cretXY-longer", ""], echoToStderr: false)
        logger.log(.info, "token s3cretXY-longer and s3cretXY twice s3cretXY\nsecond", tags: [("request", "r1")])
        logger.log(.debug, "not written")
        logger.log(.error, "s3")
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 3)
        #expect(lines[0] == "earlier line")
        #expect(lines[1].hasSuffix(" info request=r1 token [redacted] and [redacted] twice [redacted]\\nsecond"))
        #expect(lines[1].wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z .*/) != nil)
        #expect(lines[2].hasSuffix(" error s3"))
    }

    @Test func controlCharactersAreEscapedSoNoLineCanBeForged() throws {
        let (logger, read) = try Self.logger(secrets: [])
        logger.log(.info, "user said: hi\r2026-01-01T00:00:00.000Z error forged\u{1B}[31mred\u{7F}\ttab", tags: [("request", "a\rb")])
        let line = try #require(read().split(separator: "\n").first)
        #expect(line.hasSuffix(#" info request=a\rb user said: hi\r2026-01-01T00:00:00.000Z error forged\x1b[31mred\x7f\ttab"#))
        #expect(!line.utf8.contains { $0 < 0x20 || $0 == 0x7F })
    }

    @Test func shortValuesAreNotSecretsAndOnlyWholeValuesAreRedacted() throws {
        // A token `a:1` (value "1") must not turn the log into `2026-[redacted]2-…`; a real secret stays hidden where
        // it stands as a value, and a longer word that merely contains it is left alone.
        let (logger, read) = try Self.logger(secrets: ["1", "0123456789abcdef"])
        logger.log(.info, "listening on 127.0.0.1:18000; Bearer 0123456789abcdef; url?t=0123456789abcdef&x; x0123456789abcdefx")
        let line = try #require(read().split(separator: "\n").first)
        #expect(line.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z .*/) != nil)
        #expect(line.hasSuffix(
            " info listening on 127.0.0.1:18000; Bearer [redacted]; url?t=[redacted]&x; x0123456789abcdefx"))
    }

    /// JSON lines: every value redacted before it is escaped (a secret holding a quote is still found), control
    /// characters escaped, tags as fields.
    @Test func jsonLinesAreRedactedAndEscaped() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ih-log-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let secret = #"se"cret\-value"#
        let logger = try HostLogger(
            minimumLevel: .info, logFile: path, secrets: [secret], echoToStderr: false, format: .json)
        logger.log(.warning, "got \(secret)\nforged\u{1B}", tags: [("request", "r\"1"), ("peer", secret)])
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.split(separator: "\n").count == 1)
        #expect(!text.contains("cret"))
        let line = try JSONValue(parsing: Array(text.utf8.dropLast()))
        #expect(line["level"] == "warning")
        #expect(line["msg"] == "got [redacted]\nforged\u{1B}")
        #expect(line["request"] == "r\"1")
        #expect(line["peer"] == "[redacted]")
        #expect(line["ts"]?.stringValue?.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/) != nil)
        #expect(!text.utf8.dropLast().contains { $0 < 0x20 })
    }

    /// A buffered logger holds info lines until a notice line (written after them, in order), a full buffer or
    /// `flush()`.
    @Test func bufferedLinesWaitForANoticeLineOrAFlush() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ih-log-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let logger = try HostLogger(minimumLevel: .info, logFile: path, echoToStderr: false, buffered: true)
        func lines() -> [String] {
            ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n").map { String($0.split(separator: " ", maxSplits: 2)[2]) }
        }
        logger.log(.info, "first")
        logger.log(.info, "second")
        #expect(lines().isEmpty)
        logger.log(.notice, "third")
        #expect(lines() == ["first", "second", "third"])
        logger.log(.info, "fourth")
        #expect(lines().count == 3)
        logger.flush()
        #expect(lines() == ["first", "second", "third", "fourth"])
        let long = String(repeating: "x", count: 1000)
        for _ in 0..<(HostLogger.bufferLimit / 1000 + 1) { logger.log(.info, long) }
        #expect(lines().count > 4)
    }

    private static func logger(secrets: [String]) throws -> (HostLogger, () throws -> String) {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ih-log-\(UUID().uuidString)").path
        let logger = try HostLogger(minimumLevel: .info, logFile: path, secrets: secrets, echoToStderr: false)
        return (logger, {
            defer { try? FileManager.default.removeItem(atPath: path) }
            return try String(contentsOfFile: path, encoding: .utf8)
        })
    }

    @Test func unwritableLogFileIsAClearError() {
        #expect(throws: HostLogger.OpenError.self) {
            try HostLogger(logFile: "/nonexistent-dir/x.log", echoToStderr: false)
        }
    }

    /// A flood of alike lines (a refusal per request of an attack) is written ten times a second per kind; the next
    /// line written says how many were left out, and other kinds are not held back.
    @Test func throttledLinesAreCountedNotWritten() {
        let throttle = LogThrottle(linesPerSecond: 10)
        let first = (0..<25).map { _ in throttle.admit("status 503", now: 100) }
        #expect(first.compactMap { $0 } == Array(repeating: 0, count: 10))
        #expect(throttle.admit("status 401", now: 100) == 0)
        #expect(throttle.admit("status 503", now: 101) == 15)
        #expect(throttle.admit("status 503", now: 101) == 0)
    }

    @Test func keysPastTheLimitShareOne() {
        let throttle = LogThrottle(linesPerSecond: 1)
        for key in 0..<LogThrottle.maxKeys { _ = throttle.admit("kind \(key)", now: 7) }
        #expect(throttle.admit("one more", now: 7) == 0)
        #expect(throttle.admit("and another", now: 7) == nil)
        #expect(throttle.admit("kind 0", now: 7) == nil)
    }

    @Test func aThrottledLineSaysHowManyWereLeftOut() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("throttle-\(UUID().uuidString).log").path
        let second = Mutex(1_000)
        let logger = try HostLogger(
            minimumLevel: .info, logFile: path, secrets: [], echoToStderr: false,
            throttle: LogThrottle(linesPerSecond: 10, clock: { second.withLock { $0 } }))
        for _ in 0..<15 { logger.log(.warning, "refused", throttle: "refused") }
        second.withLock { $0 += 1 }
        logger.log(.warning, "refused again", throttle: "refused")
        logger.log(.warning, "not throttled")
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 12)
        #expect(lines[10].hasSuffix(" refused again (5 more like this left out of the log)"))
        #expect(lines[11].hasSuffix(" not throttled"))
    }
}
