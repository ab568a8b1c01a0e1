/// The host's version, printed by `--version` and sent as User-Agent.
public enum HostVersion {
    public static let current = "0.1.0"
}
