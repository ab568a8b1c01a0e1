// The Linux confinement an unprivileged process can put on itself: Landlock, seccomp-bpf, rlimits,
// no_new_privs and the parent-death signal. Each function returns 0 (or a count, an ABI version, a descriptor)
// on success and -errno on failure; -ENOSYS means the kernel (or this architecture) does not offer the step.
#ifndef CSANDBOX_H
#define CSANDBOX_H

#include <sys/types.h>

/// The highest Landlock ABI the running kernel supports (1…), or -ENOSYS / -EOPNOTSUPP when Landlock is absent
/// or disabled.
int csandbox_landlock_abi(void);

/// Creates a Landlock ruleset for ABI `abi` that handles every filesystem right that ABI knows, TCP bind and
/// connect when `deny_tcp` is set and the ABI has them (≥ 4), and scopes abstract unix sockets and signals to the
/// sandbox when the ABI has scoping (≥ 6). Returns the ruleset's descriptor.
int csandbox_landlock_create_ruleset(int abi, int deny_tcp);

/// Allows the file or directory hierarchy at `path`: reading and executing, plus every writing right when
/// `writable` is set. A file gets only the rights that apply to files.
int csandbox_landlock_allow_path(int ruleset_fd, int abi, const char *path, int writable);

/// Confines the calling thread (and every thread and process it starts later) to `ruleset_fd`'s rules.
/// Needs no_new_privs first. Does not close `ruleset_fd`.
int csandbox_landlock_restrict_self(int ruleset_fd);

/// Sets no_new_privs: execve can no longer grant privileges (set-uid, file capabilities), for good.
int csandbox_set_no_new_privs(void);

/// Installs a seccomp filter on every thread of the process: socket() fails with EACCES whatever the family
/// (AF_INET and AF_INET6, but also unix sockets bound to paths Landlock does not cover, AF_VSOCK, AF_NETLINK…),
/// io_uring_setup with ENOSYS (io_uring makes sockets without the socket system call), and a system call of another
/// architecture or ABI kills the process. Everything else is allowed: socketpair() and inherited sockets work.
/// Needs no_new_privs first.
int csandbox_seccomp_deny_sockets(void);

/// The limits `csandbox_lower_limit` sets.
enum csandbox_limit {
    /// RLIMIT_DATA: private writable memory (heap, brk, anonymous private mappings), in bytes.
    CSANDBOX_LIMIT_DATA,
    /// RLIMIT_AS: the whole address space, in bytes.
    CSANDBOX_LIMIT_ADDRESS_SPACE,
    /// RLIMIT_CPU: CPU seconds; SIGXCPU at the soft limit, SIGKILL at the hard one.
    CSANDBOX_LIMIT_CPU,
    /// RLIMIT_NICE: the lowest nice value the process may set itself to is 20 minus the limit.
    CSANDBOX_LIMIT_NICE,
};

/// Lowers `limit` to `soft` and `hard` (each capped at the current hard limit, which an unprivileged process
/// cannot raise).
int csandbox_lower_limit(enum csandbox_limit limit, unsigned long long soft, unsigned long long hard);

/// Raises the calling thread's nice value to `niceness` (threads it starts later inherit it); a higher value is
/// kept. Raising it needs no privilege.
int csandbox_raise_niceness(int niceness);

/// Gives up every capability: the bounding set (when the process may change it), the ambient, inheritable,
/// permitted and effective sets of the calling thread (threads it starts later inherit them). A root process keeps
/// its uid but none of root's privileges: it can no longer raise its limits or its priority, or bypass file
/// permissions. Returns how many capabilities were in effect before (0 for an unprivileged process).
int csandbox_drop_capabilities(void);

/// Unblocks `signal` in the calling thread and gives it back its default action if it is ignored (both are
/// inherited from whoever started the process).
int csandbox_restore_signal(int signal);

/// Asks the kernel for SIGKILL when the parent exits. When `expected_parent` is positive and the parent is no
/// longer that process (it exited before the request took effect), kills the calling process at once.
int csandbox_die_with_parent(pid_t expected_parent);

/// The bytes of address space the calling process has mapped now (VmSize, from /proc/self/statm).
long long csandbox_address_space(void);

/// The number of threads in the calling process, from /proc/self/task.
int csandbox_thread_count(void);

/// The path of the loaded shared object (or executable) that defines `symbol`, as the dynamic loader opened it,
/// or NULL when no loaded object defines it.
const char *csandbox_object_defining(const char *symbol);

/// The errno constant's name ("EACCES"), or NULL for an unknown value.
const char *csandbox_errno_name(int error);

#endif
