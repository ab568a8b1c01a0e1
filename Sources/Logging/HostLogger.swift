#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The host's log: one line per event to stderr and, with `--logfile`, appended to a file. Every configured
/// secret is replaced by `[redacted]` before a line is written, whoever wrote it.
///
/// Lines are built as bytes and written with one `write(2)` each (to a file opened `O_APPEND`), so concurrent
/// writers never interleave within a line and no lock is taken.
public final class HostLogger: Sendable {
    public let minimumLevel: LogLevel
    private let fileDescriptor: Int32?
    private let secrets: [[UInt8]]
    private let echoToStderr: Bool

    /// Why the log file could not be opened.
    public struct OpenError: Error, CustomStringConvertible {
        public let description: String
    }

    /// - Parameters:
    ///   - logFile: a path to append to, created if missing.
    ///   - secrets: values that must never be written (tokens, signing secrets).
    public init(minimumLevel: LogLevel = .info, logFile: String? = nil, secrets: [String] = [], echoToStderr: Bool = true)
        throws
    {
        self.minimumLevel = minimumLevel
        self.secrets = secrets.filter { !$0.isEmpty }.sorted { $0.utf8.count > $1.utf8.count }.map { Array($0.utf8) }
        self.echoToStderr = echoToStderr
        if let logFile {
            let fd = open(logFile, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
            guard fd >= 0 else {
                throw OpenError(description: "cannot open log file \(logFile): \(String(cString: strerror(errno)))")
            }
            self.fileDescriptor = fd
        } else {
            self.fileDescriptor = nil
        }
    }

    deinit {
        if let fileDescriptor { close(fileDescriptor) }
    }

    public func isEnabled(_ level: LogLevel) -> Bool { level >= minimumLevel }

    /// Writes one line: time, level, tags, message.
    public func log(_ level: LogLevel, _ message: @autoclosure () -> String, tags: [(String, String)] = []) {
        guard isEnabled(level) else { return }
        var line: [UInt8] = []
        line.reserveCapacity(160)
        HostLogger.appendTimestamp(to: &line)
        line.append(UInt8(ascii: " "))
        line.append(contentsOf: "\(level)".utf8)
        for (key, value) in tags {
            line.append(UInt8(ascii: " "))
            line.append(contentsOf: key.utf8)
            line.append(UInt8(ascii: "="))
            line.append(contentsOf: value.utf8)
        }
        line.append(UInt8(ascii: " "))
        for byte in message().utf8 {
            if byte == UInt8(ascii: "\n") {
                line.append(UInt8(ascii: "\\"))
                line.append(UInt8(ascii: "n"))
            } else {
                line.append(byte)
            }
        }
        if !secrets.isEmpty { line = redact(line) }
        line.append(UInt8(ascii: "\n"))
        line.withUnsafeBytes { buffer in
            if echoToStderr { HostLogger.writeAll(STDERR_FILENO, buffer) }
            if let fileDescriptor { HostLogger.writeAll(fileDescriptor, buffer) }
        }
    }

    /// `line` with every occurrence of every secret replaced by `[redacted]`.
    private func redact(_ line: [UInt8]) -> [UInt8] {
        var line = line
        for secret in secrets {
            var searchFrom = 0
            while let found = HostLogger.find(secret, in: line, from: searchFrom) {
                line.replaceSubrange(found..<(found + secret.count), with: "[redacted]".utf8)
                searchFrom = found + "[redacted]".utf8.count
            }
        }
        return line
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard let first = needle.first, haystack.count - start >= needle.count else { return nil }
        var index = start
        let last = haystack.count - needle.count
        while index <= last {
            if haystack[index] == first, haystack[index..<(index + needle.count)].elementsEqual(needle) { return index }
            index += 1
        }
        return nil
    }

    private static func writeAll(_ fd: Int32, _ buffer: UnsafeRawBufferPointer) {
        var offset = 0
        while offset < buffer.count {
            let n = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                return
            }
            offset += n
        }
    }

    /// `2026-11-23T17:02:26.650Z`, in UTC.
    private static func appendTimestamp(to line: inout [UInt8]) {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var parts = tm()
        var seconds = now.tv_sec
        gmtime_r(&seconds, &parts)
        func digits(_ value: Int, _ width: Int) {
            var divisor = 1
            for _ in 1..<width { divisor *= 10 }
            var rest = value
            while divisor > 0 {
                line.append(UInt8(ascii: "0") + UInt8(rest / divisor % 10))
                rest %= divisor
                divisor /= 10
            }
        }
        digits(Int(parts.tm_year) + 1900, 4)
        line.append(UInt8(ascii: "-"))
        digits(Int(parts.tm_mon) + 1, 2)
        line.append(UInt8(ascii: "-"))
        digits(Int(parts.tm_mday), 2)
        line.append(UInt8(ascii: "T"))
        digits(Int(parts.tm_hour), 2)
        line.append(UInt8(ascii: ":"))
        digits(Int(parts.tm_min), 2)
        line.append(UInt8(ascii: ":"))
        digits(Int(parts.tm_sec), 2)
        line.append(UInt8(ascii: "."))
        digits(Int(now.tv_nsec / 1_000_000), 3)
        line.append(UInt8(ascii: "Z"))
    }
}
