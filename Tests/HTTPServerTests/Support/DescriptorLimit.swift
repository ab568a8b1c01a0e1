import Glibc

/// Raises this process's soft descriptor limit to its hard limit, for tests that hold thousands of sockets (both
/// ends of each count here).
enum DescriptorLimit {
    /// The soft limit afterwards.
    @discardableResult
    static func raiseToHardLimit() -> Int {
        var limit = rlimit()
        let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
        guard getrlimit(resource, &limit) == 0 else { return 0 }
        if limit.rlim_cur < limit.rlim_max {
            limit.rlim_cur = limit.rlim_max
            _ = setrlimit(resource, &limit)
            _ = getrlimit(resource, &limit)
        }
        return Int(clamping: limit.rlim_cur)
    }
}
