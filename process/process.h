/* The container process's own attributes, applied by the init (or an exec'd process) after
 * pivot_root and before execve: rlimits, user and groups, oom_score_adj, personality,
 * scheduler, I/O priority, CPU affinity, the terminal, and finally the execve itself. */
#ifndef VSE_PROCESS_H
#define VSE_PROCESS_H

#include <stdbool.h>
#include <sys/types.h>

#include "common/error.h"
#include "spec/spec.h"

int process_apply_rlimits(const struct spec_process *p, struct vse_err *err);
int process_apply_oom_score_adj(const struct spec_process *p, struct vse_err *err);
int process_apply_personality(const struct spec_linux *l, struct vse_err *err);
int process_apply_scheduler(const struct spec_process *p, struct vse_err *err);
int process_apply_io_priority(const struct spec_process *p, struct vse_err *err);
/* which: the initial set (before the container's cgroup is joined) or the final one. */
int process_apply_cpu_affinity(const char *cpu_list, struct vse_err *err);

/* A pty; both ends O_CLOEXEC, name is the slave's path in its devpts ("/dev/pts/0"). */
struct process_pty {
    int master, slave;
    char name[32];
};
/* Makes a pty of *ptmx, an open ptmx node (the container's: rootfs_open_ptmx()): unlocks it,
 * sizes it from process.consoleSize (p may be NULL) and opens the slave by fd, with no path
 * lookup. On success out->master takes *ptmx over (*ptmx becomes -1). */
int process_open_pty(int *ptmx, const struct spec_process *p, struct process_pty *out,
                     struct vse_err *err);
/* setsid, the slave becomes the controlling terminal and fds 0, 1 and 2; pty->slave is then
 * closed and set to -1 (pty->master is left alone). */
int process_attach_terminal(struct process_pty *pty, struct vse_err *err);
void process_pty_release(struct process_pty *pty);
/* The console-socket protocol of runc: the master fd sent over the unix socket at
 * socket_path with SCM_RIGHTS (one byte of payload: the terminal name). */
int process_send_console(const char *socket_path, int master, struct vse_err *err);
int process_send_fd(int sock, int fd, const char *name, struct vse_err *err);
int process_recv_fd(int sock, int *fd, struct vse_err *err);
/* The same with a payload of the caller's: one message of len bytes from buf, fd attached by
 * SCM_RIGHTS when >= 0. 0 or -errno, no vse_err (the clone child's sync path formats nothing);
 * *sent (may be NULL) gets the bytes the kernel took. */
int process_send_fd_buf(int sock, int fd, const void *buf, size_t len, size_t *sent);
/* Receives one message into buf (up to len bytes; *received = 0 when the peer closed). *fd gets
 * the first fd passed, or -1; any others are closed. 0 or -errno; -EMSGSIZE when the control
 * data was truncated (nothing kept). */
int process_recv_fd_buf(int sock, void *buf, size_t len, size_t *received, int *fd);

/* setgroups(additionalGids), setresgid, setresuid; keeps capabilities across the switch so
 * security_apply_capabilities() can set the final sets afterwards. */
int process_set_user(const struct spec_process *p, struct vse_err *err);

/* chdir(cwd) and a sanity check that cwd is inside the container (refuses /proc/self/fd/N). */
int process_chdir(const struct spec_process *p, struct vse_err *err);

/* What process_exec_path() should run, checked without running it (like runc's LookPath
 * before it reports ready): finds args[0] in the container's PATH (from env, else the
 * default), checks it is an executable regular file. Lets the runtime report `exec "foo":
 * executable file not found in $PATH` while the parent still listens on the sync socket.
 * *path (may be NULL) gets the resolved path; caller frees. */
int process_find_executable(const struct spec_process *p, char **path, struct vse_err *err);

/* execve() of path (process_find_executable()'s answer) with the process's args and env.
 * Returns only on failure: `exec "<args[0]>": <reason>`. */
int process_exec_path(const char *path, const struct spec_process *p, struct vse_err *err);

/* process_find_executable() then process_exec_path(): returns only on failure, with an error
 * naming the executable. */
int process_exec(const struct spec_process *p, struct vse_err *err);

/* Closes every fd >= first_fd except the listed ones (close_range where available). */
int process_close_fds_from(int first_fd, const int *keep, size_t n_keep);

/* Closes every fd >= first_fd that is not close-on-exec: what our caller left open to us (vse
 * opens all of its own fds O_CLOEXEC). A process that waits before it execs (a created
 * container's init) must not hold them: a caller reading a pipe until EOF would hang, as it
 * does not with runc, whose init gets only stdio and the preserved fds. */
int process_close_inherited_fds(int first_fd);

#endif
