// Starting a program as the first process (pid 1) of new user and PID namespaces, so that killing it kills every
// process it started, including those that left its process group or session (`setsid`, daemons): when a PID
// namespace's first process ends, the kernel kills the rest. Only the caller's own uid and gid are mapped, to
// themselves: the program runs as the caller. Started like posix_spawn (a child sharing the caller's memory until
// it execs), so the cost does not grow with the caller's size.
#ifndef CPROCESSSPAWNING_H
#define CPROCESSSPAWNING_H

#include <sys/types.h>

/// What to start: `path` with `argv` and `envp` (NULL-terminated), in `directory`, stdin from /dev/null, stdout and
/// stderr onto the given descriptors; every other descriptor closed, signals unblocked and at their defaults.
struct cps_program {
    const char *path;
    char *const *argv;
    char *const *envp;
    const char *directory;
    int stdout_fd;
    int stderr_fd;
    /// The nice value the program runs at (set before it starts).
    int niceness;
};

/// The step a failed `cps_spawn_contained` stopped at.
enum cps_stage {
    /// `clone` with the new namespaces failed (not allowed here, or out of processes).
    CPS_STAGE_CLONE = 1,
    /// The namespace was made but its uid/gid maps could not be written.
    CPS_STAGE_NAMESPACE = 2,
    /// Descriptors or the working directory could not be set up.
    CPS_STAGE_SETUP = 3,
    /// `execve` of the program failed (ENOENT, EACCES, ETXTBSY, ...).
    CPS_STAGE_EXEC = 4,
};

/// Starts `program` as its namespace's pid 1. Returns 0 and sets `*pid` (in the caller's PID namespace: SIGKILL it
/// to end the program and everything it started). On failure returns an errno value and sets `*stage`; nothing is
/// left running.
int cps_spawn_contained(const struct cps_program *program, pid_t *pid, int *stage);

/// Whether this system lets an unprivileged process make user and PID namespaces and map its ids (starts and
/// reaps one short-lived child). Returns 0 when it does, else the errno value of the step that failed.
int cps_probe_namespaces(void);

#endif
