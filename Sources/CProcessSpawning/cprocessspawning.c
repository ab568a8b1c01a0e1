#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "cprocessspawning.h"

// The child shares the caller's memory (CLONE_VM) and the caller waits until it has exec'd or exited
// (CLONE_VFORK), as in glibc's posix_spawn: it runs on a stack of its own, calls only async-signal-safe functions,
// and reports a failure through `struct start` in the shared memory.

struct start {
    const struct cps_program *program;
    char uid_map[48];
    char gid_map[48];
    int stage;
    int error;
};

static int write_file(const char *path, const char *text) {
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return errno;
    size_t length = strlen(text);
    ssize_t written = write(fd, text, length);
    int error = written == (ssize_t)length ? 0 : (written < 0 ? errno : EIO);
    close(fd);
    return error;
}

/// Maps the caller's uid and gid to themselves in the new user namespace (setgroups must be denied first for an
/// unprivileged gid map).
static int map_ids(const struct start *start) {
    int error = write_file("/proc/self/setgroups", "deny");
    if (error != 0 && error != ENOENT) return error;
    if ((error = write_file("/proc/self/uid_map", start->uid_map)) != 0) return error;
    return write_file("/proc/self/gid_map", start->gid_map);
}

static void close_from(int lowest) {
    if (syscall(SYS_close_range, lowest, ~0U, 0) == 0) return;
    long highest = sysconf(_SC_OPEN_MAX);
    for (long fd = lowest; fd < highest; fd++) close((int)fd);
}

static int failed(struct start *start, int stage, int error) {
    start->stage = stage;
    start->error = error;
    _exit(127);
}

/// The child: pid 1 of its PID namespace. Sets up ids, descriptors, directory and signals, then becomes the
/// program.
static int run_child(void *argument) {
    struct start *start = argument;
    const struct cps_program *program = start->program;
    for (int signal = 1; signal < NSIG; signal++) {
        if (signal == SIGKILL || signal == SIGSTOP) continue;
        struct sigaction action;
        memset(&action, 0, sizeof action);
        action.sa_handler = SIG_DFL;
        sigaction(signal, &action, NULL);
    }
    int error = map_ids(start);
    if (error != 0) return failed(start, CPS_STAGE_NAMESPACE, error);

    // Everything above 2 first, so that the moves onto 0-2 cannot overwrite a descriptor still needed.
    int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (devnull < 0) return failed(start, CPS_STAGE_SETUP, errno);
    int input = fcntl(devnull, F_DUPFD_CLOEXEC, 3);
    int out = fcntl(program->stdout_fd, F_DUPFD_CLOEXEC, 3);
    int err = fcntl(program->stderr_fd, F_DUPFD_CLOEXEC, 3);
    if (input < 0 || out < 0 || err < 0) return failed(start, CPS_STAGE_SETUP, errno);
    if (dup2(input, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0) return failed(start, CPS_STAGE_SETUP, errno);
    close_from(3);
    if (program->directory != NULL && chdir(program->directory) != 0) return failed(start, CPS_STAGE_SETUP, errno);

    if (setpriority(PRIO_PROCESS, 0, program->niceness) != 0) return failed(start, CPS_STAGE_SETUP, errno);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    execve(program->path, program->argv, program->envp);
    return failed(start, CPS_STAGE_EXEC, errno);
}

static int probe_child(void *argument) {
    _exit(map_ids(argument) == 0 ? 0 : 1);
}

/// Starts `body` in new user and PID namespaces, sharing memory until it execs or exits, with every signal
/// blocked (the caller's handlers must not run in it); returns its pid or -1.
static pid_t start_in_namespaces(int (*body)(void *), struct start *start) {
    unsigned uid = (unsigned)getuid(), gid = (unsigned)getgid();
    snprintf(start->uid_map, sizeof start->uid_map, "%u %u 1\n", uid, uid);
    snprintf(start->gid_map, sizeof start->gid_map, "%u %u 1\n", gid, gid);
    const size_t stack_size = 64 * 1024;
    char *stack = mmap(NULL, stack_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (stack == MAP_FAILED) return -1;
    sigset_t all, saved;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &saved);
    pid_t pid = clone(body, stack + stack_size, CLONE_VM | CLONE_VFORK | CLONE_NEWUSER | CLONE_NEWPID | SIGCHLD, start);
    int error = errno;
    pthread_sigmask(SIG_SETMASK, &saved, NULL);
    munmap(stack, stack_size);
    errno = error;
    return pid;
}

int cps_spawn_contained(const struct cps_program *program, pid_t *pid_out, int *stage) {
    struct start start;
    memset(&start, 0, sizeof start);
    start.program = program;
    pid_t pid = start_in_namespaces(run_child, &start);
    if (pid < 0) {
        *stage = CPS_STAGE_CLONE;
        return errno;
    }
    if (start.stage != 0) {
        int status;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
        *stage = start.stage;
        return start.error;
    }
    *pid_out = pid;
    return 0;
}

int cps_probe_namespaces(void) {
    struct start start;
    memset(&start, 0, sizeof start);
    pid_t pid = start_in_namespaces(probe_child, &start);
    if (pid < 0) return errno;
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : EPERM;
}
