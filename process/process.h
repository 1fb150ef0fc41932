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

/* Opens a new pty from /dev/ptmx of the current root; returns master fd and the slave's path
 * ("/dev/pts/0"). Sizes it from process.consoleSize when given. */
int process_open_pty(const struct spec_process *p, int *master, char **slave_path,
                     struct vse_err *err);
/* setsid, make the slave the controlling terminal, dup it onto 0, 1, 2. */
int process_attach_terminal(const char *slave_path, struct vse_err *err);
/* The console-socket protocol of runc: the master fd sent over the unix socket at
 * socket_path with SCM_RIGHTS (one byte of payload: the terminal name). */
int process_send_console(const char *socket_path, int master, struct vse_err *err);
int process_send_fd(int sock, int fd, const char *name, struct vse_err *err);
int process_recv_fd(int sock, int *fd, struct vse_err *err);

/* setgroups(additionalGids), setresgid, setresuid; keeps capabilities across the switch so
 * security_apply_capabilities() can set the final sets afterwards. */
int process_set_user(const struct spec_process *p, struct vse_err *err);

/* chdir(cwd) and a sanity check that cwd is inside the container (refuses /proc/self/fd/N). */
int process_chdir(const struct spec_process *p, struct vse_err *err);

/* Finds args[0] in the container's PATH (from env, else the default) and execve()s it.
 * Returns only on failure, with an error naming the executable. */
int process_exec(const struct spec_process *p, struct vse_err *err);

/* What process_exec() would run, checked without running it (like runc's LookPath before it
 * reports ready): finds args[0] in PATH, checks it is an executable regular file. Lets the
 * runtime report `exec "foo": executable file not found in $PATH` while the parent still
 * listens on the sync socket. *path (may be NULL) gets the resolved path; caller frees. */
int process_find_executable(const struct spec_process *p, char **path, struct vse_err *err);

/* Closes every fd >= first_fd except the listed ones (close_range where available). */
int process_close_fds_from(int first_fd, const int *keep, size_t n_keep);

/* Closes every fd >= first_fd that is not close-on-exec: what our caller left open to us (vse
 * opens all of its own fds O_CLOEXEC). A process that waits before it execs (a created
 * container's init) must not hold them: a caller reading a pipe until EOF would hang, as it
 * does not with runc, whose init gets only stdio and the preserved fds. */
int process_close_inherited_fds(int first_fd);

#endif
