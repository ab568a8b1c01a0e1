import ProcessSpawning

/// How an `exec` program is kept from outliving its run (`--exec-containment`).
public enum ExecContainment: String, Sendable, CaseIterable {
    /// The program is the first process (pid 1) of user and PID namespaces of its own: killing it kills everything
    /// it started, including what left its process group or session (`setsid`, daemons), and when it exits the
    /// kernel kills what is left. It keeps the host's uid and gid, network and files, but `$$` is 1, signals it
    /// has no handler for are ignored when sent from inside (`kill $$`), files of unmapped users (root) show as
    /// owned by nobody, and setuid bits and file capabilities do not take effect (sudo, ping).
    case namespace
    /// The program leads a process group of its own, and the group is killed: what calls `setsid` escapes.
    case processGroup = "process-group"

    /// `namespace` where this system allows unprivileged user namespaces, else `processGroup`; probed once.
    public static let detected: ExecContainment = ContainedSpawn.namespacesWork() ? .namespace : .processGroup

    /// One line for the log: what is in effect.
    public var summary: String {
        switch self {
        case .namespace: "exec programs run in user and PID namespaces of their own (the whole tree is killed)"
        case .processGroup:
            "exec programs run in process groups of their own (a program that calls setsid can outlive its run)"
        }
    }
}
