/* The default seccomp profile (spec/default_seccomp.h). An allow list: everything not listed
 * fails with EPERM. The list is grouped by what the syscalls are for, so a reviewer can see
 * why each one is there; the denied syscalls that matter, and why, are in docs/security.md.
 * Names the running libseccomp does not know are skipped by the seccomp compiler, so the list
 * may name syscalls newer than the library (and 32-bit variants for the x86 and arm ABIs). */
#include "spec/default_seccomp.h"

#include <errno.h>
#include <linux/capability.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/util.h"

#define CAP_BIT(c) (1ULL << (c))

/* The bounding set `vse spec` writes. */
#define DEFAULT_CAPS (CAP_BIT(CAP_AUDIT_WRITE) | CAP_BIT(CAP_KILL) | CAP_BIT(CAP_NET_BIND_SERVICE))

/* Namespace flags of clone(2); a process without CAP_SYS_ADMIN may not make namespaces. */
#define CLONE_NAMESPACE_FLAGS 0x7E020000ULL /* NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET */
#define AF_VSOCK_FAMILY 40

static const char *const files_and_dirs[] = {
    "access", "chdir", "chmod", "chown", "chown32", "close", "close_range", "copy_file_range",
    "creat", "dup", "dup2", "dup3", "faccessat", "faccessat2", "fadvise64", "fadvise64_64",
    "fallocate", "fanotify_mark", "fchdir", "fchmod", "fchmodat", "fchmodat2", "fchown",
    "fchown32", "fchownat", "fcntl", "fcntl64", "fdatasync", "fgetxattr", "flistxattr", "flock",
    "fremovexattr", "fsetxattr", "fstat", "fstat64", "fstatat64", "fstatfs", "fstatfs64",
    "fsync", "ftruncate", "ftruncate64", "futimesat", "getcwd", "getdents", "getdents64",
    "getxattr", "getxattrat", "inotify_add_watch", "inotify_init", "inotify_init1",
    "inotify_rm_watch", "lchown", "lchown32", "lgetxattr", "link", "linkat", "listxattr",
    "listxattrat", "llistxattr", "_llseek", "lremovexattr", "lseek", "lsetxattr", "lstat",
    "lstat64", "mkdir", "mkdirat", "mknod", "mknodat", "newfstatat", "open", "openat",
    "openat2", "pread64", "preadv", "preadv2", "pwrite64", "pwritev", "pwritev2", "read",
    "readahead", "readlink", "readlinkat", "readv", "removexattr", "removexattrat", "rename",
    "renameat", "renameat2", "rmdir", "sendfile", "sendfile64", "setxattr", "setxattrat",
    "splice", "stat", "stat64", "statfs", "statfs64", "statx", "symlink", "symlinkat", "sync",
    "sync_file_range", "syncfs", "tee", "truncate", "truncate64", "umask", "unlink",
    "unlinkat", "utime", "utimensat", "utimensat_time64", "utimes", "vmsplice", "write",
    "writev", "cachestat", "memfd_create", NULL,
};

static const char *const events_and_polling[] = {
    "epoll_create", "epoll_create1", "epoll_ctl", "epoll_ctl_old", "epoll_pwait",
    "epoll_pwait2", "epoll_wait", "epoll_wait_old", "eventfd", "eventfd2", "io_cancel",
    "io_destroy", "io_getevents", "io_pgetevents", "io_pgetevents_time64", "io_setup",
    "io_submit", "ioctl", "pipe", "pipe2", "poll", "ppoll", "ppoll_time64", "pselect6",
    "pselect6_time64", "select", "_newselect", "signalfd", "signalfd4", "timerfd_create",
    "timerfd_gettime", "timerfd_gettime64", "timerfd_settime", "timerfd_settime64", NULL,
};

static const char *const processes_and_ids[] = {
    "arch_prctl", "capget", "capset", "execve", "execveat", "exit", "exit_group", "fork",
    "vfork", "getcpu", "getegid", "getegid32", "geteuid", "geteuid32", "getgid", "getgid32",
    "getgroups", "getgroups32", "getitimer", "getpgid", "getpgrp", "getpid", "getppid",
    "getpriority", "getrandom", "getresgid", "getresgid32", "getresuid", "getresuid32",
    "getrlimit", "get_robust_list", "getrusage", "getsid", "gettid", "get_thread_area",
    "getuid", "getuid32", "ioprio_get", "ioprio_set", "kill", "membarrier", "pidfd_open",
    "pidfd_send_signal", "prctl", "prlimit64", "process_mrelease", "ptrace", "restart_syscall",
    "rseq", "sched_getaffinity", "sched_getattr", "sched_getparam", "sched_get_priority_max",
    "sched_get_priority_min", "sched_getscheduler", "sched_rr_get_interval",
    "sched_rr_get_interval_time64", "sched_setaffinity", "sched_setattr", "sched_setparam",
    "sched_setscheduler", "sched_yield", "seccomp", "setfsgid", "setfsgid32", "setfsuid",
    "setfsuid32", "setgid", "setgid32", "setgroups", "setgroups32", "setitimer", "setpgid",
    "setpriority", "setregid", "setregid32", "setresgid", "setresgid32", "setresuid",
    "setresuid32", "setreuid", "setreuid32", "setrlimit", "set_robust_list", "setsid",
    "set_thread_area", "set_tid_address", "setuid", "setuid32", "sysinfo", "tgkill", "times",
    "tkill", "ugetrlimit", "uname", "wait4", "waitid", "waitpid", "landlock_add_rule",
    "landlock_create_ruleset", "landlock_restrict_self", NULL,
};

static const char *const signals[] = {
    "alarm", "pause", "rt_sigaction", "rt_sigpending", "rt_sigprocmask", "rt_sigqueueinfo",
    "rt_sigreturn", "rt_sigsuspend", "rt_sigtimedwait", "rt_sigtimedwait_time64",
    "rt_tgsigqueueinfo", "sigaction", "sigaltstack", "signal", "sigpending", "sigprocmask",
    "sigreturn", "sigsuspend", NULL,
};

static const char *const memory_and_futexes[] = {
    "brk", "futex", "futex_requeue", "futex_time64", "futex_wait", "futex_waitv", "futex_wake",
    "madvise", "map_shadow_stack", "mincore", "mlock", "mlock2", "mlockall", "mmap", "mmap2",
    "mprotect", "mremap", "mseal", "msync", "munlock", "munlockall", "munmap", "pkey_alloc",
    "pkey_free", "pkey_mprotect", "remap_file_pages", NULL,
};

/* Reading clocks; adjtimex and clock_adjtime only change the clock with CAP_SYS_TIME. */
static const char *const clocks_and_timers[] = {
    "adjtimex", "clock_adjtime", "clock_adjtime64", "clock_getres", "clock_getres_time64",
    "clock_gettime", "clock_gettime64", "clock_nanosleep", "clock_nanosleep_time64",
    "gettimeofday", "nanosleep", "time", "timer_create", "timer_delete", "timer_getoverrun",
    "timer_gettime", "timer_gettime64", "timer_settime", "timer_settime64", NULL,
};

/* socket itself is conditional (no AF_VSOCK), see write_socket_rule. */
static const char *const sockets[] = {
    "accept", "accept4", "bind", "connect", "getpeername", "getsockname", "getsockopt",
    "listen", "recv", "recvfrom", "recvmmsg", "recvmmsg_time64", "recvmsg", "send",
    "sendmmsg", "sendmsg", "sendto", "setsockopt", "shutdown", "socketcall", "socketpair",
    NULL,
};

/* SysV and POSIX IPC: namespaced by the ipc namespace. */
static const char *const ipc[] = {
    "ipc", "mq_getsetattr", "mq_notify", "mq_open", "mq_timedreceive",
    "mq_timedreceive_time64", "mq_timedsend", "mq_timedsend_time64", "mq_unlink", "msgctl",
    "msgget", "msgrcv", "msgsnd", "semctl", "semget", "semop", "semtimedop",
    "semtimedop_time64", "shmat", "shmctl", "shmdt", "shmget", NULL,
};

struct syscall_group {
    const char *const *names;
};

static const struct syscall_group always_allowed[] = {
    {files_and_dirs}, {events_and_polling}, {processes_and_ids}, {signals},
    {memory_and_futexes}, {clocks_and_timers}, {sockets}, {ipc},
};

/* Syscalls that only make sense with a capability; allowed when the bounding set has it. */
struct gated_group {
    int cap;
    const char *const *names;
};

static const char *const sys_admin_calls[] = {
    "bpf", "fanotify_init", "fsconfig", "fsmount", "fsopen", "fspick", "lookup_dcookie",
    "mount", "mount_setattr", "move_mount", "name_to_handle_at", "open_tree",
    "perf_event_open", "quotactl", "quotactl_fd", "setdomainname", "sethostname", "setns",
    "syslog", "umount", "umount2", "unshare", "clone3", NULL,
};
static const char *const sys_boot_calls[] = {"reboot", NULL};
static const char *const sys_chroot_calls[] = {"chroot", NULL};
static const char *const sys_module_calls[] = {"delete_module", "init_module", "finit_module",
                                               NULL};
static const char *const sys_pacct_calls[] = {"acct", NULL};
static const char *const sys_ptrace_calls[] = {"kcmp", "pidfd_getfd", "process_madvise",
                                               "process_vm_readv", "process_vm_writev", NULL};
static const char *const sys_rawio_calls[] = {"iopl", "ioperm", NULL};
static const char *const sys_time_calls[] = {"settimeofday", "stime", "clock_settime",
                                             "clock_settime64", NULL};
static const char *const sys_tty_config_calls[] = {"vhangup", NULL};
static const char *const sys_nice_calls[] = {"get_mempolicy", "mbind", "set_mempolicy",
                                             "set_mempolicy_home_node", NULL};
static const char *const syslog_calls[] = {"syslog", NULL};
static const char *const bpf_calls[] = {"bpf", NULL};
static const char *const perfmon_calls[] = {"perf_event_open", NULL};

static const struct gated_group gated[] = {
    {CAP_SYS_ADMIN, sys_admin_calls},   {CAP_SYS_BOOT, sys_boot_calls},
    {CAP_SYS_CHROOT, sys_chroot_calls}, {CAP_SYS_MODULE, sys_module_calls},
    {CAP_SYS_PACCT, sys_pacct_calls},   {CAP_SYS_PTRACE, sys_ptrace_calls},
    {CAP_SYS_RAWIO, sys_rawio_calls},   {CAP_SYS_TIME, sys_time_calls},
    {CAP_SYS_TTY_CONFIG, sys_tty_config_calls}, {CAP_SYS_NICE, sys_nice_calls},
    {CAP_SYSLOG, syslog_calls},         {CAP_BPF, bpf_calls},
    {CAP_PERFMON, perfmon_calls},
};

static void write_names(json_writer *w, const char *const *names)
{
    json_w_key(w, "names");
    json_w_array_begin(w);
    for (size_t i = 0; names[i]; i++)
        json_w_string(w, names[i]);
    json_w_array_end(w);
}

static void write_allow(json_writer *w, const char *const *names)
{
    json_w_object_begin(w);
    write_names(w, names);
    json_w_kv_string(w, "action", "SCMP_ACT_ALLOW");
    json_w_object_end(w);
}

static void write_arg(json_writer *w, unsigned index, uint64_t value, uint64_t value_two,
                      const char *op)
{
    json_w_object_begin(w);
    json_w_kv_int(w, "index", index);
    json_w_key(w, "value");
    json_w_uint(w, value);
    json_w_key(w, "valueTwo");
    json_w_uint(w, value_two);
    json_w_kv_string(w, "op", op);
    json_w_object_end(w);
}

/* One rule allowing `name` when argument `index` compares with value(s) as `op`. */
static void write_allow_if(json_writer *w, const char *name, unsigned index, uint64_t value,
                           uint64_t value_two, const char *op)
{
    const char *names[] = {name, NULL};
    json_w_object_begin(w);
    write_names(w, names);
    json_w_kv_string(w, "action", "SCMP_ACT_ALLOW");
    json_w_key(w, "args");
    json_w_array_begin(w);
    write_arg(w, index, value, value_two, op);
    json_w_array_end(w);
    json_w_object_end(w);
}

/* personality(2): only the execution domains programs really ask for (PER_LINUX, PER_LINUX32,
 * UNAME26 with either, and 0xffffffff which only queries). One rule each: conditions on the
 * same argument act as OR only as separate rules. */
static void write_personality_rules(json_writer *w)
{
    static const uint64_t domains[] = {0x0, 0x8, 0x20000, 0x20008, 0xffffffff};
    for (size_t i = 0; i < VSE_ARRAY_SIZE(domains); i++)
        write_allow_if(w, "personality", 0, domains[i], 0, "SCMP_CMP_EQ");
}

/* clone(2) without namespace flags; clone3 passes its flags in memory that seccomp cannot
 * read, so it gets ENOSYS and libc falls back to clone, where the flags are checked. */
static void write_clone_rules(json_writer *w, bool sys_admin)
{
    if (sys_admin) {
        static const char *const clone_only[] = {"clone", NULL};
        write_allow(w, clone_only);
        return;
    }
    write_allow_if(w, "clone", 0, CLONE_NAMESPACE_FLAGS, 0, "SCMP_CMP_MASKED_EQ");
    static const char *const clone3[] = {"clone3", NULL};
    json_w_object_begin(w);
    write_names(w, clone3);
    json_w_kv_string(w, "action", "SCMP_ACT_ERRNO");
    json_w_kv_int(w, "errnoRet", ENOSYS);
    json_w_object_end(w);
}

/* socket(2) for every family but AF_VSOCK, which reaches the host past the network namespace. */
static void write_socket_rule(json_writer *w)
{
    write_allow_if(w, "socket", 0, AF_VSOCK_FAMILY, 0, "SCMP_CMP_NE");
}

static void write_architectures(json_writer *w)
{
    json_w_key(w, "architectures");
    json_w_array_begin(w);
#if defined(__x86_64__) || defined(__i386__)
    json_w_string(w, "SCMP_ARCH_X86_64");
    json_w_string(w, "SCMP_ARCH_X86");
    json_w_string(w, "SCMP_ARCH_X32");
#elif defined(__aarch64__) || defined(__arm__)
    json_w_string(w, "SCMP_ARCH_AARCH64");
    json_w_string(w, "SCMP_ARCH_ARM");
#elif defined(__riscv)
    json_w_string(w, "SCMP_ARCH_RISCV64");
#elif defined(__s390x__)
    json_w_string(w, "SCMP_ARCH_S390X");
    json_w_string(w, "SCMP_ARCH_S390");
#elif defined(__powerpc64__)
    json_w_string(w, "SCMP_ARCH_PPC64LE");
#endif
    json_w_array_end(w);
}

void spec_write_default_seccomp_caps(json_writer *w, uint64_t caps)
{
    json_w_object_begin(w);
    json_w_kv_string(w, "defaultAction", "SCMP_ACT_ERRNO");
    json_w_kv_int(w, "defaultErrnoRet", EPERM);
    write_architectures(w);
    json_w_key(w, "syscalls");
    json_w_array_begin(w);
    for (size_t i = 0; i < VSE_ARRAY_SIZE(always_allowed); i++)
        write_allow(w, always_allowed[i].names);
    write_personality_rules(w);
    write_socket_rule(w);
    bool sys_admin = (caps & CAP_BIT(CAP_SYS_ADMIN)) != 0;
    write_clone_rules(w, sys_admin);
    for (size_t i = 0; i < VSE_ARRAY_SIZE(gated); i++)
        if (caps & CAP_BIT(gated[i].cap))
            write_allow(w, gated[i].names);
    json_w_array_end(w);
    json_w_object_end(w);
}

void spec_write_default_seccomp(json_writer *w)
{
    spec_write_default_seccomp_caps(w, DEFAULT_CAPS);
}
