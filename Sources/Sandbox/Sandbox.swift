import CSandbox

#if canImport(Glibc)
    import Glibc
#endif

/// Confinement of the calling process: no_new_privs, rlimits and niceness, Landlock, a seccomp filter, and no
/// capabilities.
public enum Sandbox {
    /// The Landlock ABI version the running kernel offers, or nil when it has no Landlock (or it is disabled).
    public static var landlockABI: Int? {
        let abi = csandbox_landlock_abi()
        return abi > 0 ? Int(abi) : nil
    }

    /// Confines the calling process for good: no_new_privs, rlimits and niceness, Landlock, seccomp, then every
    /// capability dropped (a process started as root could otherwise lift its limits again). Call it while the process
    /// has one thread (Landlock binds the calling thread and the ones it starts later). Throws only when a step
    /// that is available fails; a step the kernel does not offer goes into `unavailable`.
    public static func apply(_ policy: SandboxPolicy) throws -> SandboxReport {
        try apply(policy, without: [])
    }

    /// The walls `apply` can leave out, so a test can prove each one refuses on its own.
    package enum Wall: Sendable, Hashable {
        /// Landlock's TCP bind/connect rules (its filesystem rules and scoping stay).
        case landlockNetwork
        /// The seccomp filter refusing new sockets.
        case seccomp
    }

    /// `apply(_:)` without the walls in `skipped`.
    package static func apply(_ policy: SandboxPolicy, without skipped: Set<Wall>) throws -> SandboxReport {
        var report = SandboxReport()
        let threads = csandbox_thread_count()
        if threads > 1 {
            throw SandboxError(
                step: "confining the process", code: 0,
                detail: "it has \(threads) threads; apply the sandbox before starting any, or the others stay free")
        } else if threads < 0 {
            report.unavailable.append("single-thread check (/proc/self/task: \(Errno.name(-threads)))")
        }

        try check(csandbox_set_no_new_privs(), "prctl(PR_SET_NO_NEW_PRIVS)")
        report.enforced.append("no_new_privs")

        try applyLimits(policy, to: &report)
        try applyLandlock(policy, denyTCP: !policy.network && !skipped.contains(.landlockNetwork), to: &report)
        if !policy.network && !skipped.contains(.seccomp) {
            let result = csandbox_seccomp_deny_sockets()
            if result == -ENOSYS {
                report.unavailable.append("seccomp (new sockets stay possible: ENOSYS)")
            } else {
                try check(result, "seccomp filter")
                report.enforced.append(
                    "seccomp: socket() refused (socketpair and inherited sockets work), io_uring off")
            }
        }
        let held = csandbox_drop_capabilities()
        try check(held, "dropping capabilities")
        report.enforced.append(held > 0 ? "capabilities: none (\(held) dropped)" : "capabilities: none")
        return report
    }

    /// Asks the kernel to SIGKILL this process when its parent exits, so a worker dies with the host. When
    /// `expectedParent` is given and the parent has already gone (it exited before the request took effect), the
    /// process is killed at once. The parent is the thread that started this process: it must outlive the worker.
    public static func dieWithParent(expectedParent: Int32? = nil) {
        _ = csandbox_die_with_parent(expectedParent ?? 0)
    }

    private static func applyLimits(_ policy: SandboxPolicy, to report: inout SandboxReport) throws {
        if let bytes = policy.memoryLimit {
            let limit = UInt64(max(bytes, 0))
            try check(csandbox_lower_limit(CSANDBOX_LIMIT_DATA, limit, limit), "setrlimit(RLIMIT_DATA)")
            report.enforced.append("RLIMIT_DATA \(describeBytes(limit))")
            // RLIMIT_DATA does not count shared mappings (MAP_SHARED|MAP_ANONYMOUS, memfd); the address space
            // does. It already holds the libraries, so the plugin gets the limit on top of what is mapped now.
            let mapped = csandbox_address_space()
            if mapped < 0 {
                report.unavailable.append("RLIMIT_AS (/proc/self/statm: \(Errno.name(Int32(-mapped))))")
            } else {
                let space = UInt64(mapped) + limit
                try check(csandbox_lower_limit(CSANDBOX_LIMIT_ADDRESS_SPACE, space, space), "setrlimit(RLIMIT_AS)")
                report.enforced.append(
                    "RLIMIT_AS \(describeBytes(space)) (\(describeBytes(UInt64(mapped))) mapped + the limit)")
            }
        }
        if let seconds = policy.cpuLimit {
            let limit = UInt64(max(seconds, 0))
            try check(csandbox_lower_limit(CSANDBOX_LIMIT_CPU, limit, limit + 1), "setrlimit(RLIMIT_CPU)")
            // A process can inherit SIGXCPU blocked (Foundation's Process passes on its thread's mask); then only
            // the hard limit's SIGKILL would end it, and the exit would not say why.
            try check(csandbox_restore_signal(SIGXCPU), "unblocking SIGXCPU")
            report.enforced.append("RLIMIT_CPU \(limit) s")
        }
        if let niceness = policy.niceness {
            try check(csandbox_raise_niceness(Int32(niceness)), "setpriority")
            let floor = UInt64(max(0, 20 - niceness))
            try check(csandbox_lower_limit(CSANDBOX_LIMIT_NICE, floor, floor), "setrlimit(RLIMIT_NICE)")
            report.enforced.append("nice \(niceness) (RLIMIT_NICE \(floor))")
        }
    }

    private static func applyLandlock(_ policy: SandboxPolicy, denyTCP: Bool, to report: inout SandboxReport) throws {
        let abi = csandbox_landlock_abi()
        guard abi > 0 else {
            report.unavailable.append("landlock (\(Errno.name(-abi))): the filesystem and TCP stay open")
            return
        }
        let ruleset = csandbox_landlock_create_ruleset(abi, denyTCP ? 1 : 0)
        try check(ruleset, "landlock_create_ruleset")
        defer { close(ruleset) }
        let resolver = policy.network ? SandboxPolicy.resolverFiles : []
        for (paths, writable) in [(policy.readable + resolver, false), (policy.writable, true)] {
            for path in paths {
                try check(
                    csandbox_landlock_allow_path(ruleset, abi, path, writable ? 1 : 0), "landlock rule for \(path)")
            }
        }
        try check(csandbox_landlock_restrict_self(ruleset), "landlock_restrict_self")

        report.enforced.append(
            "landlock ABI \(abi): filesystem (\(policy.readable.count) readable, \(policy.writable.count) writable)")
        if !resolver.isEmpty { report.enforced.append("landlock: resolver files readable (network)") }
        if abi < 3 { report.unavailable.append("landlock truncate (ABI \(abi) < 3)") }
        if abi < 5 { report.unavailable.append("landlock ioctl on devices (ABI \(abi) < 5)") }
        if denyTCP {
            if abi >= 4 {
                report.enforced.append("landlock: TCP bind/connect refused")
            } else {
                report.unavailable.append("landlock TCP rules (ABI \(abi) < 4)")
            }
        }
        if abi >= 6 {
            report.enforced.append("landlock: abstract unix sockets and signals scoped")
        } else {
            report.unavailable.append("landlock scoping of abstract unix sockets and signals (ABI \(abi) < 6)")
        }
    }

    private static func check(_ result: Int32, _ step: @autoclosure () -> String) throws {
        if result < 0 { throw SandboxError(step: step(), code: -result) }
    }

    private static func describeBytes(_ bytes: UInt64) -> String {
        if bytes % (1 << 20) == 0 { return "\(bytes >> 20) MiB" }
        return bytes % (1 << 10) == 0 ? "\(bytes >> 10) KiB" : "\(bytes) bytes"
    }
}
