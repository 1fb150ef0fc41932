/* Internal to runtime/: the sync protocol between the runtime and the processes it starts, the
 * hook runner, and the container-init / exec child step lists. Only runtime/ sources include it. */
#ifndef VSE_RUNTIME_INTERNAL_H
#define VSE_RUNTIME_INTERNAL_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

#include "common/error.h"
#include "common/log.h"
#include "runtime/runtime.h"
#include "runtime/state.h"
#include "spec/spec.h"

/* ---- sync protocol (SOCK_SEQPACKET: one message a record) ---- */
enum sync_type {
    SYNC_GO = 1,    /* parent -> child: id maps written; value = host pid */
    SYNC_HOOKS,     /* child -> parent: run prestart/createRuntime now */
    SYNC_HOOKS_DONE,/* parent -> child */
    SYNC_PTY,       /* child -> parent: the pty master rides along (SCM_RIGHTS) */
    SYNC_READY,     /* child -> parent: set up, waiting for start */
    SYNC_START,     /* parent -> child (run only): go ahead and exec */
    SYNC_ERROR,     /* child -> parent: value = errno, text = message */
    SYNC_CGROUP,    /* parent -> child: the cgroup is joined (sent right after GO) */
};

struct sync_msg {
    uint32_t type;
    int32_t value;
    char text[VSE_ERR_MSG_MAX];
};

/* Sends a message (text may be NULL), with fd >= 0 attached by SCM_RIGHTS. */
int sync_send(int sock, enum sync_type type, int32_t value, const char *text, int fd);
/* Receives one message; *fd gets an attached fd or -1 (fd may be NULL when none is expected).
 * EOF is -EPIPE. */
int sync_recv(int sock, struct sync_msg *m, int *fd);
/* The parent's side while a child sets up: receives the next message; the child's ERROR
 * message becomes err, EOF is -EPIPE (err left to the caller, for whom it may be success). */
int sync_recv_setup(int sock, struct sync_msg *m, int *fd, struct vse_err *err);
/* Receives a message and checks it is `want`; an ERROR message becomes the returned error. */
struct cgroup_manager;
int attach_and_signal_cgroup(struct cgroup_manager *cg, pid_t pid, int sync_fd,
                             struct vse_err *err);
int sync_expect(int sock, enum sync_type want, struct sync_msg *m, int *fd, struct vse_err *err);
/* Child side: reports err to the parent and exits; never returns. */
__attribute__((noreturn)) void sync_fail_exit(int sock, const struct vse_err *err);

/* ---- /proc helpers ---- */
/* Field 22 (start time) and field 3 (state letter) of /proc/<pid>/stat. */
int proc_stat_start_time(pid_t pid, unsigned long long *start, char *state);

/* ---- hooks (runtime/hooks.c) ---- */
/* Runs each hook of the list in order with state_json on stdin, honouring timeouts. Returns the
 * first failure (error names kind and index); callers decide whether a failure is fatal. */
int hooks_run(const struct spec_hook_list *l, const char *kind, const char *state_json,
              struct vse_err *err);
/* Runs hooks whose failures only get logged (poststart, poststop). */
void hooks_run_warn(const struct spec_hook_list *l, const char *kind, const char *state_json,
                    const struct vse_logger *log);

/* The seccomp filter cache of the state root, opened in the runtime's (host's) mount namespace
 * before the child is cloned, so no path is resolved where the container could plant a file;
 * -1 when the config has no filter or there is no usable cache. */
int seccomp_cache_for(const struct vse_runtime *rt, const struct spec *s);
struct security_seccomp;
/* security_seccomp_compile_opts() with that cache. */
int seccomp_compile_cached(const struct spec *s, int cache_fd, const struct vse_logger *log,
                           struct security_seccomp **out, struct vse_err *err);

/* Removes what a container owns on the host: poststop hooks, cgroups, the state dir. */
int container_destroy(const struct vse_runtime *rt, struct container_state *st,
                      struct vse_err *err);

/* State JSON of a container being worked on (hooks get it on stdin). */
char *state_json_for(const struct container_state *st, enum container_status status);

/* ---- container init (runtime/init.c) ---- */
struct init_args {
    const struct vse_runtime *rt;
    const struct runtime_create_opts *o;
    const struct spec *spec;
    const char *id;
    const char *bundle; /* absolute */
    const char *rootfs; /* absolute */
    const char *created;
    int sync_fd;
    int fifo_fd;        /* -1 for run */
    int lock_fd;        /* the parent's state lock: closed first, or `start` would wait on it */
    const int *ns_fds;  /* [SPEC_NS_COUNT] */
    bool unshare_cgroupns; /* CLONE_NEWCGROUP was left out of clone3 (cgroup joined later) */
    int seccomp_cache_fd;  /* security_seccomp_cache_open() in the host's namespace, or -1 */
    bool in_user_ns;
};
/* The container init: the straight list of steps of docs/design.md; never returns. */
__attribute__((noreturn)) void init_main(const struct init_args *a);

/* ---- the last steps of a container process (runtime/process_setup.c) ---- */
struct process_pty;
/* A pty of the devpts instance of the container whose root is root (rootfs_open_ptmx() +
 * process_open_pty()), sized from process.consoleSize. */
int container_pty_open(const char *root, const struct spec_process *p, struct process_pty *pty,
                       struct vse_err *err);
/* Hands the master to the parent (SYNC_PTY, the pty name as text), which passes it on to the
 * console socket or relays it; our copy is closed. */
int container_pty_send_master(int sync_fd, struct process_pty *pty, struct vse_err *err);

struct process_setup {
    const struct spec_process *p;
    const struct spec_linux *personality; /* linux.personality to apply, or NULL (exec) */
    bool in_userns;                /* the process is in a user namespace of the container's */
    struct process_pty *tty;       /* its slave becomes the terminal; NULL without one */
    struct security_seccomp *filter; /* compiled before the process lost its host view */
    const char *state_json;        /* for seccomp notify listeners */
    const struct vse_logger *log;
};
/* What the init and an exec'd process do alike in the container: rlimits, oom_score_adj,
 * personality, scheduler, ioprio, affinity, the terminal; seccomp here when it needs
 * CAP_SYS_ADMIN (no noNewPrivileges); bounding set, user, capabilities, cwd,
 * noNewPrivileges, LSM; args[0] resolved in the container's PATH (*exec_path, caller frees);
 * seccomp last otherwise. The caller then waits as it must and calls process_exec_path(). */
int process_setup_apply(const struct process_setup *s, char **exec_path, struct vse_err *err);

/* ---- tty relay and waiting (runtime/io.c) ---- */
/* Waits for the process behind pidfd, forwarding signals from sigfd to it and, when master >=
 * 0, relaying stdin/stdout with the pty. Stores the exit status (128+signal when killed). With
 * sync_fd >= 0, an ERROR message arriving there (a failure between START and execve) is
 * returned once the process is gone. */
int wait_forward(int pidfd, int sigfd, int master, int sync_fd, int *exit_status,
                 struct vse_err *err);
/* Blocks the signals a foreground run forwards and returns a signalfd for them; *old gets the
 * previous mask so a child can restore it. */
int forward_signals_setup(sigset_t *old, struct vse_err *err);

/* The fd of a SYNC_PTY message: passed on to console_socket when given (and closed here),
 * else kept in *master for the relay. */
int take_pty_master(const char *console_socket, int fd, int *master, struct vse_err *err);
/* SIGKILL to a child that failed setup, and its exit collected. */
void kill_and_reap(int pidfd);

/* Writes a pid file atomically. */
int write_pid_file(const char *path, pid_t pid, struct vse_err *err);

/* clone3 wrapper: like fork, returns 0 in the child; *pidfd gets a pidfd in the parent. */
pid_t clone3_pidfd(uint64_t flags, int cgroup_fd, int *pidfd);
/* clone3_pidfd for a process that will enter the container: the parent is made non-dumpable
 * around the clone so the child is non-dumpable from birth (a second layer against
 * /proc/<pid>/exe attacks; execve resets it), then the parent's setting is restored. */
pid_t clone3_nondumpable(uint64_t flags, int cgroup_fd, int *pidfd);

#endif
