#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The process's open-descriptor limit (`RLIMIT_NOFILE`). Shells and service managers often start programs with a
/// soft limit of 1024, far below what 10,000 connections need, under a hard limit that a process may raise its
/// own soft limit to.
enum DescriptorLimit {
    /// Raises the soft limit to `wanted`, or to the hard limit when that is lower; never lowers it. Returns the
    /// soft limit before and after, or nil when the limit cannot be read.
    static func raise(toAtLeast wanted: Int) -> (before: Int, after: Int)? {
        var limit = rlimit()
        guard getrlimit(resource, &limit) == 0 else { return nil }
        let before = Int(clamping: limit.rlim_cur)
        let target = min(rlim_t(wanted), limit.rlim_max)
        guard target > limit.rlim_cur else { return (before, before) }
        limit.rlim_cur = target
        guard setrlimit(resource, &limit) == 0 else { return (before, before) }
        return (before, Int(clamping: target))
    }

    #if canImport(Glibc)
    private static let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
    #else
    private static let resource = RLIMIT_NOFILE
    #endif
}
