import Foundation
import Synchronization

/// Log levels, from most to least verbose. `LOG_LEVEL` in the environment picks the minimum.
public enum LogLevel: Int, Sendable, Comparable, CaseIterable {
    case trace, debug, info, notice, warning, error

    public init?(name: String) {
        guard let level = LogLevel.allCases.first(where: { "\($0)" == name.lowercased() }) else { return nil }
        self = level
    }

    public static func < (a: LogLevel, b: LogLevel) -> Bool { a.rawValue < b.rawValue }
}

/// The host's log: one line per event to stderr and, with `--logfile`, appended to a file. Every configured
/// secret is replaced by `[redacted]` before a line is written, whoever wrote it.
public final class HostLogger: Sendable {
    public let minimumLevel: LogLevel
    private let file: Mutex<FileHandle?>
    private let secrets: [String]
    private let echoToStderr: Bool

    /// - Parameters:
    ///   - logFile: a path to append to, created if missing.
    ///   - secrets: values that must never be written (tokens, signing secrets).
    public init(minimumLevel: LogLevel = .info, logFile: String? = nil, secrets: [String] = [], echoToStderr: Bool = true)
        throws
    {
        self.minimumLevel = minimumLevel
        self.secrets = secrets.filter { !$0.isEmpty }.sorted { $0.count > $1.count }
        self.echoToStderr = echoToStderr
        if let logFile {
            if !FileManager.default.fileExists(atPath: logFile) {
                guard FileManager.default.createFile(atPath: logFile, contents: nil) else {
                    throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: logFile])
                }
            }
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: logFile))
            try handle.seekToEnd()
            self.file = Mutex(handle)
        } else {
            self.file = Mutex(nil)
        }
    }

    public func isEnabled(_ level: LogLevel) -> Bool { level >= minimumLevel }

    /// Writes one line: time, level, tags, message.
    public func log(_ level: LogLevel, _ message: @autoclosure () -> String, tags: [(String, String)] = []) {
        guard isEnabled(level) else { return }
        var line = "\(HostLogger.timestamp()) \(level)"
        for (key, value) in tags { line += " \(key)=\(value)" }
        line += " " + redact(message()) + "\n"
        let data = Data(line.utf8)
        file.withLock { handle in
            if echoToStderr { FileHandle.standardError.write(data) }
            handle?.write(data)
        }
    }

    private func redact(_ text: String) -> String {
        var text = text
        for secret in secrets where text.contains(secret) {
            text = text.replacingOccurrences(of: secret, with: "[redacted]")
        }
        return text.replacingOccurrences(of: "\n", with: "\\n")
    }

    private static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var parts = tm()
        var seconds = now.tv_sec
        gmtime_r(&seconds, &parts)
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
            Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), Int(now.tv_nsec / 1_000_000))
    }
}

/// The logger an integration gets: every line tagged with the integration's name and the request id.
public struct IntegrationLogger: Sendable {
    public let integration: String
    public let requestID: String
    let host: HostLogger

    public init(integration: String, requestID: String, host: HostLogger) {
        self.integration = integration
        self.requestID = requestID
        self.host = host
    }

    public func log(_ level: LogLevel, _ message: String) {
        host.log(level, message, tags: [("request", requestID), ("integration", integration)])
    }

    public func info(_ message: String) { log(.info, message) }
    public func debug(_ message: String) { log(.debug, message) }
    public func warning(_ message: String) { log(.warning, message) }
    public func error(_ message: String) { log(.error, message) }
}
