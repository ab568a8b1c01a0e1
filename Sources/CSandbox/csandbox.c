#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "csandbox.h"

// Landlock's user API, written out here because the installed <linux/landlock.h> may predate the running kernel
// (this one's stops at ABI 2). The numbers are the same on every architecture that has Landlock.
#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#define SYS_landlock_add_rule 445
#define SYS_landlock_restrict_self 446
#endif

// io_uring (Linux 5.1) has the same number on every architecture too.
#ifndef SYS_io_uring_setup
#define SYS_io_uring_setup 425
#endif

#define LL_CREATE_RULESET_VERSION (1U << 0)
#define LL_RULE_PATH_BENEATH 1

#define LL_FS_EXECUTE (1ULL << 0)
#define LL_FS_WRITE_FILE (1ULL << 1)
#define LL_FS_READ_FILE (1ULL << 2)
#define LL_FS_READ_DIR (1ULL << 3)
#define LL_FS_REMOVE_DIR (1ULL << 4)
#define LL_FS_REMOVE_FILE (1ULL << 5)
#define LL_FS_MAKE_CHAR (1ULL << 6)
#define LL_FS_MAKE_DIR (1ULL << 7)
#define LL_FS_MAKE_REG (1ULL << 8)
#define LL_FS_MAKE_SOCK (1ULL << 9)
#define LL_FS_MAKE_FIFO (1ULL << 10)
#define LL_FS_MAKE_BLOCK (1ULL << 11)
#define LL_FS_MAKE_SYM (1ULL << 12)
#define LL_FS_REFER (1ULL << 13)      // ABI 2
#define LL_FS_TRUNCATE (1ULL << 14)   // ABI 3
#define LL_FS_IOCTL_DEV (1ULL << 15)  // ABI 5

#define LL_NET_BIND_TCP (1ULL << 0)     // ABI 4
#define LL_NET_CONNECT_TCP (1ULL << 1)  // ABI 4

#define LL_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0)  // ABI 6
#define LL_SCOPE_SIGNAL (1ULL << 1)                // ABI 6

struct ll_ruleset_attr {
    uint64_t handled_access_fs;
    uint64_t handled_access_net;  // ABI 4
    uint64_t scoped;              // ABI 6
};

struct __attribute__((packed)) ll_path_beneath_attr {
    uint64_t allowed_access;
    int32_t parent_fd;
};

/// The filesystem rights ABI `abi` knows.
static uint64_t fs_rights(int abi) {
    uint64_t rights = (LL_FS_MAKE_SYM << 1) - 1;
    if (abi >= 2) rights |= LL_FS_REFER;
    if (abi >= 3) rights |= LL_FS_TRUNCATE;
    if (abi >= 5) rights |= LL_FS_IOCTL_DEV;
    return rights;
}

/// The rights a rule on a file (not a directory) may carry; the kernel refuses the others with EINVAL.
static const uint64_t file_rights = LL_FS_EXECUTE | LL_FS_WRITE_FILE | LL_FS_READ_FILE | LL_FS_TRUNCATE
    | LL_FS_IOCTL_DEV;

static const uint64_t read_rights = LL_FS_EXECUTE | LL_FS_READ_FILE | LL_FS_READ_DIR;

static int negative_errno(long result) { return result < 0 ? -errno : (int)result; }

int csandbox_landlock_abi(void) {
    return negative_errno(syscall(SYS_landlock_create_ruleset, NULL, 0, LL_CREATE_RULESET_VERSION));
}

int csandbox_landlock_create_ruleset(int abi, int deny_tcp) {
    struct ll_ruleset_attr attr = {.handled_access_fs = fs_rights(abi)};
    size_t size = offsetof(struct ll_ruleset_attr, handled_access_net);
    if (abi >= 4) {
        if (deny_tcp) attr.handled_access_net = LL_NET_BIND_TCP | LL_NET_CONNECT_TCP;
        size = offsetof(struct ll_ruleset_attr, scoped);
    }
    if (abi >= 6) {
        attr.scoped = LL_SCOPE_ABSTRACT_UNIX_SOCKET | LL_SCOPE_SIGNAL;
        size = sizeof attr;
    }
    return negative_errno(syscall(SYS_landlock_create_ruleset, &attr, size, 0));
}

int csandbox_landlock_allow_path(int ruleset_fd, int abi, const char *path, int writable) {
    int fd = open(path, O_PATH | O_CLOEXEC);
    if (fd < 0) return -errno;
    struct stat status;
    if (fstat(fd, &status) != 0) {
        int error = errno;
        close(fd);
        return -error;
    }
    uint64_t rights = fs_rights(abi) & (writable ? ~0ULL : read_rights);
    if (!S_ISDIR(status.st_mode)) rights &= file_rights;
    struct ll_path_beneath_attr rule = {.allowed_access = rights, .parent_fd = fd};
    long result = syscall(SYS_landlock_add_rule, ruleset_fd, LL_RULE_PATH_BENEATH, &rule, 0);
    int error = errno;
    close(fd);
    return result < 0 ? -error : 0;
}

int csandbox_landlock_restrict_self(int ruleset_fd) {
    return negative_errno(syscall(SYS_landlock_restrict_self, ruleset_fd, 0));
}

int csandbox_set_no_new_privs(void) { return negative_errno(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)); }

#if defined(__x86_64__)
#define AUDIT_ARCH_NATIVE AUDIT_ARCH_X86_64
#elif defined(__aarch64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define AUDIT_ARCH_NATIVE AUDIT_ARCH_AARCH64
#endif

int csandbox_seccomp_deny_sockets(void) {
#ifdef AUDIT_ARCH_NATIVE
    struct sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_NATIVE, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
#ifdef __x86_64__
        // x32 system calls share x86_64's arch value and set bit 30 of the number; socket has its own there.
        BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
#endif
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_io_uring_setup, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_socket, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EACCES),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog program = {.len = sizeof filter / sizeof filter[0], .filter = filter};
    long result = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &program);
    // With TSYNC a positive result is the id of a thread that could not take the filter.
    if (result > 0) return -ESRCH;
    return negative_errno(result);
#else
    return -ENOSYS;
#endif
}

int csandbox_lower_limit(enum csandbox_limit limit, unsigned long long soft, unsigned long long hard) {
    int resource;
    switch (limit) {
    case CSANDBOX_LIMIT_DATA: resource = RLIMIT_DATA; break;
    case CSANDBOX_LIMIT_ADDRESS_SPACE: resource = RLIMIT_AS; break;
    case CSANDBOX_LIMIT_CPU: resource = RLIMIT_CPU; break;
    case CSANDBOX_LIMIT_NICE: resource = RLIMIT_NICE; break;
    default: return -EINVAL;
    }
    struct rlimit current;
    if (getrlimit(resource, &current) != 0) return -errno;
    struct rlimit lowered = {.rlim_cur = soft, .rlim_max = hard};
    if (lowered.rlim_max > current.rlim_max) lowered.rlim_max = current.rlim_max;
    if (lowered.rlim_cur > lowered.rlim_max) lowered.rlim_cur = lowered.rlim_max;
    return negative_errno(setrlimit(resource, &lowered));
}

int csandbox_raise_niceness(int niceness) {
    // getpriority can return -1 as a value: errno tells an error apart.
    errno = 0;
    int current = getpriority(PRIO_PROCESS, 0);
    if (current == -1 && errno != 0) return -errno;
    if (current >= niceness) return 0;
    return negative_errno(setpriority(PRIO_PROCESS, 0, niceness));
}

int csandbox_drop_capabilities(void) {
    struct __user_cap_header_struct header = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
    struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
    memset(data, 0, sizeof data);
    if (syscall(SYS_capget, &header, data) != 0) return -errno;
    int held = 0;
    for (int word = 0; word < _LINUX_CAPABILITY_U32S_3; word++) held += __builtin_popcount(data[word].effective);
    // Ambient capabilities (Linux 4.3) would come back on execve; an older kernel has none to clear.
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL) return -errno;
    // Dropping from the bounding set needs CAP_SETPCAP, so it comes first; without it there is nothing to drop.
    for (int capability = 0; prctl(PR_CAPBSET_READ, capability, 0, 0, 0) >= 0; capability++) {
        if (prctl(PR_CAPBSET_DROP, capability, 0, 0, 0) != 0 && errno != EPERM) return -errno;
    }
    memset(data, 0, sizeof data);
    if (syscall(SYS_capset, &header, data) != 0) return -errno;
    return held;
}

int csandbox_restore_signal(int signal) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, signal);
    int error = pthread_sigmask(SIG_UNBLOCK, &set, NULL);
    if (error != 0) return -error;
    struct sigaction action;
    if (sigaction(signal, NULL, &action) != 0) return -errno;
    if (action.sa_handler == SIG_IGN) {
        action.sa_handler = SIG_DFL;
        if (sigaction(signal, &action, NULL) != 0) return -errno;
    }
    return 0;
}

int csandbox_die_with_parent(pid_t expected_parent) {
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) return -errno;
    if (expected_parent > 0 && getppid() != expected_parent) raise(SIGKILL);
    return 0;
}

long long csandbox_address_space(void) {
    FILE *statm = fopen("/proc/self/statm", "re");
    if (statm == NULL) return -errno;
    long long pages = 0;
    int matched = fscanf(statm, "%lld", &pages);
    fclose(statm);
    if (matched != 1) return -EIO;
    return pages * sysconf(_SC_PAGESIZE);
}

int csandbox_thread_count(void) {
    DIR *tasks = opendir("/proc/self/task");
    if (tasks == NULL) return -errno;
    int count = 0;
    for (struct dirent *entry; (entry = readdir(tasks)) != NULL;) {
        if (entry->d_name[0] != '.') count++;
    }
    closedir(tasks);
    return count;
}

const char *csandbox_object_defining(const char *symbol) {
    void *address = dlsym(RTLD_DEFAULT, symbol);
    Dl_info info;
    if (address == NULL || dladdr(address, &info) == 0) return NULL;
    return info.dli_fname;
}

const char *csandbox_errno_name(int error) { return strerrorname_np(error); }
