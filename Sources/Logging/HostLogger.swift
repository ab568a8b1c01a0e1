#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// The host's log: one line per event to stderr and, with `--logfile`, appended to a file. Every configured
/// secret of at least `minimumSecretLength` bytes is replaced by `[redacted]` where it stands as a whole value (not
/// inside a longer run of letters and digits) before a line is written, whoever wrote it; shorter values are not
/// secrets the log can keep (the host warns about them at start). Control characters are escaped (`\n`, `\r`,
/// `\t`, `\xHH`), so nothing a request carries can forge a line or reach a terminal as an escape sequence. In the
/// JSON format (`LogFormat.json`) each value is redacted before it is JSON-escaped, so a secret is hidden even where
/// escaping would change its bytes.
///
/// Lines are built as bytes and written with one `write(2)` each (to a file opened `O_APPEND`), so concurrent
/// writers never interleave within a line and no lock is taken. A buffered logger (`buffered: true`, the host
/// process's) instead gathers `info` lines and below — one access line per request — and writes them in one call
/// when `bufferLimit` bytes are pending, when a line at `notice` or above comes (after them, in order), or when its
/// owner calls `flush()` (the host does every 100 ms and at shutdown).
public final class HostLogger: Sendable {
    public let minimumLevel: LogLevel
    public let format: LogFormat
    /// Secrets shorter than this are not redacted: a value like `1` would mangle every timestamp and address.
    public static let minimumSecretLength = 8
    private let fileDescriptor: Int32?
    private let secrets: [[UInt8]]
    private let echoToStderr: Bool
    /// Also receives every line written (without its newline): the `test` command prints a run's lines.
    private let lineSink: (@Sendable (String) -> Void)?
    private let throttle: LogThrottle
    /// Whether `info` lines and below are gathered in `pending` until `flush()`.
    private let buffered: Bool
    /// Lines not written yet, for a buffered logger.
    private let pending = Mutex<[UInt8]>([])
    /// How many bytes a buffered logger gathers before it writes them.
    public static let bufferLimit = 64 << 10
    /// How many lines of one throttled kind (see `log(_:_:tags:throttle:)`) are written a second.
    public static let throttledLinesPerSecond = 10

    /// Why the log file could not be opened.
    public struct OpenError: Error, CustomStringConvertible {
        public let description: String
    }

    /// - Parameters:
    ///   - logFile: a path to append to, created if missing.
    ///   - secrets: values that must never be written (tokens, signing secrets).
    ///   - format: plain text lines or JSON lines.
    ///   - buffered: gather `info` lines and below until `flush()` (see above); the owner must call it.
    ///   - lineSink: also gets every line, redacted and escaped, without its newline.
    public convenience init(
        minimumLevel: LogLevel = .info, logFile: String? = nil, secrets: [String] = [], echoToStderr: Bool = true,
        format: LogFormat = .text, buffered: Bool = false, lineSink: (@Sendable (String) -> Void)? = nil
    ) throws {
        try self.init(
            minimumLevel: minimumLevel, logFile: logFile, secrets: secrets, echoToStderr: echoToStderr,
            format: format, buffered: buffered, throttle: LogThrottle(linesPerSecond: HostLogger.throttledLinesPerSecond),
            lineSink: lineSink)
    }

    init(
        minimumLevel: LogLevel, logFile: String?, secrets: [String], echoToStderr: Bool, format: LogFormat = .text,
        buffered: Bool = false, throttle: LogThrottle, lineSink: (@Sendable (String) -> Void)? = nil
    ) throws {
        self.throttle = throttle
        self.buffered = buffered
        self.lineSink = lineSink
        self.minimumLevel = minimumLevel
        self.format = format
        self.secrets = secrets.filter { $0.utf8.count >= HostLogger.minimumSecretLength }
            .sorted { $0.utf8.count > $1.utf8.count }.map { Array($0.utf8) }
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
        flush()
        if let fileDescriptor { close(fileDescriptor) }
    }

    /// Writes the lines a buffered logger gathered; nothing for an unbuffered one.
    public func flush() {
        guard buffered else { return }
        pending.withLock { buffer in
            guard !buffer.isEmpty else { return }
            writeOut(buffer)
            buffer.removeAll(keepingCapacity: true)
        }
    }

    public func isEnabled(_ level: LogLevel) -> Bool { level >= minimumLevel }

    /// Writes one line: time, level, tags, message. Lines given a `throttle` key — a kind of line that a flood of
    /// requests repeats, such as a refusal — are written at most `throttledLinesPerSecond` times a second per key;
    /// the next one written after some were left out ends with how many.
    public func log(
        _ level: LogLevel, _ message: @autoclosure () -> String, tags: [(String, String)] = [], throttle key: String? = nil
    ) {
        guard isEnabled(level) else { return }
        var leftOut = 0
        if let key {
            guard let count = throttle.admit(key) else { return }
            leftOut = count
        }
        let text = leftOut > 0 ? message() + " (\(leftOut) more like this left out of the log)" : message()
        var line = format == .json ? jsonLine(level, text, tags: tags) : textLine(level, text, tags: tags)
        lineSink?(String(decoding: line, as: UTF8.self))
        line.append(UInt8(ascii: "\n"))
        guard buffered else { return writeOut(line) }
        pending.withLock { buffer in
            buffer.append(contentsOf: line)
            guard level >= .notice || buffer.count >= HostLogger.bufferLimit else { return }
            writeOut(buffer)
            buffer.removeAll(keepingCapacity: true)
        }
    }

    /// One `write(2)` of `bytes` to each destination.
    private func writeOut(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { buffer in
            if echoToStderr { HostLogger.writeAll(STDERR_FILENO, buffer) }
            if let fileDescriptor { HostLogger.writeAll(fileDescriptor, buffer) }
        }
    }

    /// `time level key=value… message`, redacted as a whole.
    private func textLine(_ level: LogLevel, _ message: String, tags: [(String, String)]) -> [UInt8] {
        var line: [UInt8] = []
        line.reserveCapacity(160)
        HostLogger.appendTimestamp(to: &line)
        line.append(UInt8(ascii: " "))
        line.append(contentsOf: level.name.utf8)
        for (key, value) in tags {
            line.append(UInt8(ascii: " "))
            line.append(contentsOf: key.utf8)
            line.append(UInt8(ascii: "="))
            HostLogger.appendEscaped(value, to: &line)
        }
        line.append(UInt8(ascii: " "))
        HostLogger.appendEscaped(message, to: &line)
        return secrets.isEmpty ? line : redact(line)
    }

    /// `{"ts": …, "level": …, "msg": …, tags…}` with every value redacted, then JSON-escaped.
    private func jsonLine(_ level: LogLevel, _ message: String, tags: [(String, String)]) -> [UInt8] {
        var line: [UInt8] = []
        line.reserveCapacity(192)
        line.append(contentsOf: #"{"ts":""#.utf8)
        HostLogger.appendTimestamp(to: &line)
        line.append(contentsOf: #"","level":""#.utf8)
        line.append(contentsOf: level.name.utf8)
        line.append(contentsOf: #"","msg":"#.utf8)
        appendJSONString(Array(message.utf8), to: &line)
        for (key, value) in tags {
            line.append(UInt8(ascii: ","))
            HostLogger.appendJSONEscaped(Array(key.utf8), to: &line)
            line.append(UInt8(ascii: ":"))
            appendJSONString(Array(value.utf8), to: &line)
        }
        line.append(UInt8(ascii: "}"))
        return line
    }

    /// `value`, redacted, as a quoted JSON string.
    private func appendJSONString(_ value: [UInt8], to line: inout [UInt8]) {
        HostLogger.appendJSONEscaped(secrets.isEmpty ? value : redact(value), to: &line)
    }

    /// `bytes` as a quoted JSON string: `"` and `\` escaped, control characters as `\n`, `\r`, `\t` or `\u00HH`.
    private static func appendJSONEscaped(_ bytes: [UInt8], to line: inout [UInt8]) {
        let digits = Array("0123456789abcdef".utf8)
        line.append(UInt8(ascii: "\""))
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\""): line.append(contentsOf: #"\""#.utf8)
            case UInt8(ascii: "\\"): line.append(contentsOf: #"\\"#.utf8)
            case UInt8(ascii: "\n"): line.append(contentsOf: #"\n"#.utf8)
            case UInt8(ascii: "\r"): line.append(contentsOf: #"\r"#.utf8)
            case UInt8(ascii: "\t"): line.append(contentsOf: #"\t"#.utf8)
            case 0..<0x20, 0x7F:
                line.append(contentsOf: #"\u00"#.utf8)
                line.append(contentsOf: [digits[Int(byte >> 4)], digits[Int(byte & 0xF)]])
            default: line.append(byte)
            }
        }
        line.append(UInt8(ascii: "\""))
    }

    /// `text` with every configured secret replaced by `[redacted]`, as a log line would have it: for what the host
    /// shows outside the log (a run's trace).
    public func redacted(_ text: String) -> String {
        secrets.isEmpty ? text : String(decoding: redact(Array(text.utf8)), as: UTF8.self)
    }

    /// `text` with control characters written as `\n`, `\r`, `\t` or `\xHH`.
    private static func appendEscaped(_ text: String, to line: inout [UInt8]) {
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\n"): line.append(contentsOf: #"\n"#.utf8)
            case UInt8(ascii: "\r"): line.append(contentsOf: #"\r"#.utf8)
            case UInt8(ascii: "\t"): line.append(contentsOf: #"\t"#.utf8)
            case 0..<0x20, 0x7F:
                let digits = Array("0123456789abcdef".utf8)
                line.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "x"), digits[Int(byte >> 4)], digits[Int(byte & 0xF)]])
            default: line.append(byte)
            }
        }
    }

    /// `bytes` with every configured secret that stands there as a whole value replaced by `[redacted]`: the log's
    /// own redaction, for other records that leave the process (the delivery log).
    public func redacted(_ bytes: [UInt8]) -> [UInt8] {
        secrets.isEmpty ? bytes : redact(bytes)
    }

    /// `line` with every whole-value occurrence of every secret replaced by `[redacted]`.
    private func redact(_ line: [UInt8]) -> [UInt8] {
        var line = line
        for secret in secrets {
            var searchFrom = 0
            while let found = HostLogger.find(secret, in: line, from: searchFrom) {
                let end = found + secret.count
                let whole = (found == 0 || !HostLogger.isAlphanumeric(line[found - 1]))
                    && (end == line.count || !HostLogger.isAlphanumeric(line[end]))
                if whole {
                    line.replaceSubrange(found..<end, with: "[redacted]".utf8)
                    searchFrom = found + "[redacted]".utf8.count
                } else {
                    searchFrom = found + 1
                }
            }
        }
        return line
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return false
        }
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
