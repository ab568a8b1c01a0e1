/// A confinement step that the kernel offers but that failed; the process must not go on to load the plugin.
public struct SandboxError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The step, with its subject ("landlock rule for /etc/ssl").
    public var step: String
    /// The errno it failed with (0 when the failure is not a system call's).
    public var code: Int32
    /// Why, when `code` does not say it all.
    public var detail: String?

    public init(step: String, code: Int32, detail: String? = nil) {
        self.step = step
        self.code = code
        self.detail = detail
    }

    public var description: String {
        var text = "sandbox: \(step) failed"
        if code != 0 { text += ": \(Errno.name(code))" }
        if let detail { text += " (\(detail))" }
        return text
    }
}
