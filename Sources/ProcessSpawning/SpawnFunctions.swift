import Glibc

/// glibc functions the Swift Glibc module does not export (they need _GNU_SOURCE or are new), looked up once.
public enum SpawnFunctions {
    private typealias FileActionInt = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    private typealias FileActionPath = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32
    private typealias PidfdOpen = @convention(c) (pid_t, UInt32) -> Int32
    private typealias Pipe2 = @convention(c) (UnsafeMutablePointer<Int32>, Int32) -> Int32

    private static func symbol<T>(_ name: String, as type: T.Type) -> T? {
        guard let raw = dlsym(UnsafeMutableRawPointer(bitPattern: 0), name) else { return nil }
        return unsafeBitCast(raw, to: type)
    }

    private static let closeFrom = symbol("posix_spawn_file_actions_addclosefrom_np", as: FileActionInt.self)
    private static let chdir = symbol("posix_spawn_file_actions_addchdir_np", as: FileActionPath.self)
    private static let pidfd = symbol("pidfd_open", as: PidfdOpen.self)
    private static let pipe2 = symbol("pipe2", as: Pipe2.self)

    /// A pipe whose two ends are close-on-exec from the start (`pipe2`), so no concurrent spawn inherits them.
    public static func closeOnExecPipe(_ fds: UnsafeMutablePointer<Int32>) -> Int32 {
        if let pipe2 { return pipe2(fds, O_CLOEXEC) }
        guard pipe(fds) == 0 else { return -1 }
        _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
        return 0
    }

    /// Closes every descriptor from `lowest` up in the child (glibc 2.34+); returns nonzero when unavailable.
    public static func addCloseFrom(_ actions: UnsafeMutablePointer<posix_spawn_file_actions_t>, _ lowest: Int32) -> Int32 {
        closeFrom?(actions, lowest) ?? ENOSYS
    }

    /// Changes the child's working directory before exec (glibc 2.29+).
    public static func addChdir(_ actions: UnsafeMutablePointer<posix_spawn_file_actions_t>, _ path: UnsafePointer<CChar>) -> Int32 {
        chdir?(actions, path) ?? ENOSYS
    }

    /// A descriptor that becomes readable when `pid` exits (Linux 5.3+), or -1.
    public static func pidfdOpen(_ pid: pid_t) -> Int32 {
        pidfd?(pid, 0) ?? -1
    }

    /// `strings` as a NULL-terminated array of C strings (an `argv` or `envp`), valid during `body`.
    public static func withCStrings<R>(
        _ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R
    ) -> R {
        let pointers = strings.map { strdup($0) } + [nil]
        defer { for pointer in pointers { free(pointer) } }
        return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
    }

    /// Attributes for a child that starts clean: no signal blocked, and `defaults` (plus any flags in `flags`) back
    /// to their default actions, whatever the host ignores or handles. Destroy them after the spawn.
    public static func cleanSignalAttributes(
        _ attributes: UnsafeMutablePointer<posix_spawnattr_t>, defaults signals: [Int32], flags: Int32 = 0
    ) {
        posix_spawnattr_init(attributes)
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(attributes, &noSignals)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in signals { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(attributes, &defaults)
        posix_spawnattr_setflags(attributes, Int16(Int32(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF) | flags))
    }
}
