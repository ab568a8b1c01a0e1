import Foundation
import HostApp
import HostCore
import IntegrationContract
import Logging
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
            minimumLevel: .info, logFile: path, secrets: ["s3cret", "s3cret-longer", ""], echoToStderr: false)
        logger.log(.info, "token s3cret-longer and s3cret twice s3cret\nsecond", tags: [("request", "r1")])
        logger.log(.debug, "not written")
        logger.log(.error, "s3")
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 3)
        #expect(lines[0] == "earlier line")
        #expect(lines[1].hasSuffix(" info request=r1 token [redacted] and [redacted] twice [redacted]\\nsecond"))
        #expect(lines[1].wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z .*/) != nil)
        #expect(lines[2].hasSuffix(" error s3"))
    }

    @Test func unwritableLogFileIsAClearError() {
        #expect(throws: HostLogger.OpenError.self) {
            try HostLogger(logFile: "/nonexistent-dir/x.log", echoToStderr: false)
        }
    }
}
