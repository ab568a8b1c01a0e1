import CSandbox

#if canImport(Glibc)
    import Glibc
#endif

/// What a confined process may still do: the paths it may read (and execute) or write, the network, and how much
/// memory and CPU time it gets. Everything else on the filesystem is refused.
public struct SandboxPolicy: Sendable, Equatable {
    /// Directories (with everything beneath) and files that stay readable and executable.
    public var readable: [String]
    /// Directories and files that stay readable and writable (create, remove, rename, truncate beneath them).
    public var writable: [String]
    /// Whether the network stays open: TCP connect and bind, new sockets of any family, and name resolution (the
    /// resolver's files in /etc become readable). Without it, only inherited sockets and socketpair() work.
    public var network: Bool
    /// Bytes of memory: RLIMIT_DATA (heap, private mappings, thread stacks) is set to it, and RLIMIT_AS to the
    /// address space mapped at `apply` plus it, which also bounds shared mappings; nil leaves both.
    public var memoryLimit: Int?
    /// CPU seconds (RLIMIT_CPU): SIGXCPU when spent, SIGKILL one second later; nil leaves it.
    public var cpuLimit: Int?
    /// The nice value the process runs at from now on (a higher one is kept), and RLIMIT_NICE set so that it cannot
    /// lower it again; nil leaves both.
    public var niceness: Int?

    public init(
        readable: [String] = [], writable: [String] = [], network: Bool = false, memoryLimit: Int? = nil,
        cpuLimit: Int? = nil, niceness: Int? = nil
    ) {
        self.readable = readable
        self.writable = writable
        self.network = network
        self.memoryLimit = memoryLimit
        self.cpuLimit = cpuLimit
        self.niceness = niceness
    }

    /// The nice value plugin workers run at: below request handling, as `exec` programs are, so a plugin spinning
    /// on both cores still leaves the host most of the processor.
    public static let pluginWorkerNiceness = 10

    /// What a plugin worker needs to load a plugin at `pluginPath` built by this toolchain: system library dirs
    /// (/lib, /lib64, /usr/lib, /usr/lib64 where present), /etc/ld.so.cache, the directory of the Swift runtime
    /// the current process uses, and the plugin file. No writable paths, no network, no memory or CPU limits; nice
    /// `pluginWorkerNiceness`.
    public static func pluginWorker(pluginPath: String) -> SandboxPolicy {
        let system: [String] = ["/lib", "/lib64", "/usr/lib", "/usr/lib64", "/etc/ld.so.cache"]
        var readable = system.filter { access($0, F_OK) == 0 }
        if let runtime = swiftRuntimeDirectory { readable.append(runtime) }
        readable.append(pluginPath)
        return SandboxPolicy(readable: readable, niceness: pluginWorkerNiceness)
    }

    /// This policy widened by an admin's grant.
    public func granting(_ grant: PluginGrant) -> SandboxPolicy {
        var policy = self
        policy.readable += grant.read
        policy.writable += grant.write
        policy.network = network || grant.network
        return policy
    }

    /// The files glibc's resolver reads (getaddrinfo), where present: readable when the network is allowed.
    static var resolverFiles: [String] {
        let files: [String] = [
            "/etc/nsswitch.conf", "/etc/resolv.conf", "/etc/hosts", "/etc/host.conf", "/etc/gai.conf", "/etc/services",
        ]
        return files.filter { access($0, F_OK) == 0 }
    }

    /// The directory of the shared Swift runtime this process runs on (the one holding libswiftCore.so), found
    /// through `swift_retain`; nil when the runtime is linked into the executable.
    static let swiftRuntimeDirectory: String? = {
        guard let object = csandbox_object_defining("swift_retain") else { return nil }
        let path = String(cString: object)
        guard let slash = path.lastIndex(of: "/"), path[path.index(after: slash)...].hasPrefix("libswiftCore.")
        else { return nil }
        return String(path[..<slash])
    }()
}
