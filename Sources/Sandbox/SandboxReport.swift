/// What `Sandbox.apply` did, as human-readable items for one log line.
public struct SandboxReport: Sendable {
    /// The restrictions now in force ("landlock ABI 7: …", "seccomp: …").
    public var enforced: [String]
    /// The restrictions this kernel could not give, and why; the host logs them rather than pretend.
    public var unavailable: [String]

    public init(enforced: [String] = [], unavailable: [String] = []) {
        self.enforced = enforced
        self.unavailable = unavailable
    }
}
