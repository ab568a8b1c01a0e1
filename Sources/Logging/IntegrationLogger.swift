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

    /// Whether a line at `level` would be written.
    public func isEnabled(_ level: LogLevel) -> Bool { host.isEnabled(level) }

    /// Writes one line; the message is only built when `level` is enabled.
    public func log(_ level: LogLevel, _ message: @autoclosure () -> String) {
        guard host.isEnabled(level) else { return }
        host.log(level, message(), tags: [("request", requestID), ("integration", integration)])
    }

    /// A line a flood of requests would repeat (a refusal, a failure): at most `HostLogger.throttledLinesPerSecond`
    /// a second for this integration and `kind`.
    public func log(_ level: LogLevel, _ message: @autoclosure () -> String, throttle kind: String) {
        guard host.isEnabled(level) else { return }
        host.log(
            level, message(), tags: [("request", requestID), ("integration", integration)],
            throttle: "\(integration) \(kind)")
    }

    public func info(_ message: @autoclosure () -> String) { log(.info, message()) }
    public func debug(_ message: @autoclosure () -> String) { log(.debug, message()) }
    public func warning(_ message: @autoclosure () -> String) { log(.warning, message()) }
    public func error(_ message: @autoclosure () -> String) { log(.error, message()) }
}
