import CProcessSpawning
import Glibc

/// Starting a program as the first process (pid 1) of user and PID namespaces of its own (the C shim
/// `CProcessSpawning`): killing it, or its exit, ends every process it started, whatever session or process group
/// they moved to. The program runs with the caller's uid and gid (mapped to themselves).
public enum ContainedSpawn {
    /// Why a start failed: the errno value, and whether the namespaces themselves were refused.
    public struct Failure: Error {
        public let errorNumber: Int32
        /// The namespaces could not be made or their id maps written (not a problem of the program).
        public let namespacesRefused: Bool
    }

    /// Whether unprivileged user and PID namespaces work here (starts and reaps one short-lived child).
    public static func namespacesWork() -> Bool {
        cps_probe_namespaces() == 0
    }

    /// Starts `argv[0]` (a path) with `environment` in `directory`, stdin from /dev/null and stdout and stderr onto
    /// the given descriptors; no other descriptor is inherited and every signal is at its default. Returns the
    /// program's pid in the caller's PID namespace.
    public static func start(
        argv: [String], environment: [String], directory: String, stdout: Int32, stderr: Int32, niceness: Int32 = 0
    ) throws(Failure) -> pid_t {
        var pid: pid_t = 0
        var stage: Int32 = 0
        let rc = SpawnFunctions.withCStrings(argv) { argvPointer in
            SpawnFunctions.withCStrings(environment) { envPointer in
                argv[0].withCString { path in
                    directory.withCString { dir in
                        var program = cps_program(
                            path: path, argv: UnsafeMutableRawPointer(mutating: argvPointer).assumingMemoryBound(to: UnsafeMutablePointer<CChar>?.self),
                            envp: UnsafeMutableRawPointer(mutating: envPointer).assumingMemoryBound(to: UnsafeMutablePointer<CChar>?.self),
                            directory: dir, stdout_fd: stdout, stderr_fd: stderr, niceness: niceness)
                        return cps_spawn_contained(&program, &pid, &stage)
                    }
                }
            }
        }
        guard rc == 0 else {
            throw Failure(
                errorNumber: rc,
                namespacesRefused: stage == Int32(CPS_STAGE_CLONE.rawValue) || stage == Int32(CPS_STAGE_NAMESPACE.rawValue))
        }
        return pid
    }
}
