import CIntegrationABI

/// The host's log, as hipchat-integration's `log`: one line per call, tagged with the integration and request id.
/// Works only while `run` is running.
public struct Logger {
    /// Log levels, from most to least verbose; the host's `LOG_LEVEL` filters them.
    public enum Level: Int32, Sendable {
        case trace = 0
        case debug, info, notice, warning, error
    }

    let host: HostAPI

    public func log(_ level: Level, _ message: String) { host.log(level.rawValue, message) }

    public func trace(_ message: String) { log(.trace, message) }
    public func debug(_ message: String) { log(.debug, message) }
    public func info(_ message: String) { log(.info, message) }
    public func notice(_ message: String) { log(.notice, message) }
    public func warning(_ message: String) { log(.warning, message) }
    public func error(_ message: String) { log(.error, message) }

    /// Logs `message` at info level, as `log("...")` did in hipchat-integration.
    public func callAsFunction(_ message: String) { info(message) }
}
