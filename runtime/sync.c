/* The sync protocol between the runtime and the process it starts: one SOCK_SEQPACKET record a
 * message, an optional fd attached with SCM_RIGHTS. Plus small process helpers (clone3, pid
 * files) shared by create, run and exec. */
#include "runtime/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "process/process.h"
#include "security/security.h"

/* Only the bytes in use go over the wire: the header plus the text with its NUL. */
static size_t msg_size(const struct sync_msg *m)
{
    return offsetof(struct sync_msg, text) + strlen(m->text) + 1;
}

int sync_send(int sock, enum sync_type type, int32_t value, const char *text, int fd)
{
    struct sync_msg m = {.type = type, .value = value};
    if (text)
        snprintf(m.text, sizeof(m.text), "%s", text);
    return process_send_fd_buf(sock, fd, &m, msg_size(&m), NULL);
}

int sync_recv(int sock, struct sync_msg *m, int *fd)
{
    if (fd)
        *fd = -1;
    memset(m, 0, offsetof(struct sync_msg, text) + 1);
    size_t n = 0;
    int got = -1;
    int ret = process_recv_fd_buf(sock, m, sizeof(*m), &n, &got);
    if (ret < 0)
        return ret;
    if (n < offsetof(struct sync_msg, text) + 1) {
        if (got >= 0)
            close(got);
        return n == 0 ? -EPIPE : -EBADMSG;
    }
    m->text[sizeof(m->text) - 1] = '\0';
    if (fd)
        *fd = got;
    else if (got >= 0)
        close(got);
    return 0;
}

int sync_recv_setup(int sock, struct sync_msg *m, int *fd, struct vse_err *err)
{
    int ret = sync_recv(sock, m, fd);
    if (ret == -EPIPE)
        return ret;
    if (ret < 0)
        return vse_fail_code(err, ret, "sync socket");
    if (m->type == SYNC_ERROR) {
        if (fd && *fd >= 0) {
            close(*fd);
            *fd = -1;
        }
        return vse_fail(err, m->value > 0 ? m->value : EIO, "%s", m->text);
    }
    return 0;
}

int sync_expect(int sock, enum sync_type want, struct sync_msg *m, int *fd, struct vse_err *err)
{
    int ret = sync_recv_setup(sock, m, fd, err);
    if (ret == -EPIPE)
        return vse_fail(err, EPIPE, "container process exited during setup");
    if (ret < 0)
        return ret;
    if (m->type != want)
        return vse_fail(err, EPROTO, "sync: expected message %d, got %u", want, m->type);
    return 0;
}

void sync_fail_exit(int sock, const struct vse_err *err)
{
    sync_send(sock, SYNC_ERROR, err->code ? err->code : EIO, err->msg, -1);
    _exit(1);
}

pid_t clone3_pidfd(uint64_t flags, int cgroup_fd, int *pidfd)
{
    struct clone_args args = {
        .flags = flags | CLONE_PIDFD,
        .pidfd = (uint64_t) (uintptr_t) pidfd,
        .exit_signal = SIGCHLD,
    };
    if (cgroup_fd >= 0) {
        args.flags |= CLONE_INTO_CGROUP;
        args.cgroup = (uint64_t) cgroup_fd;
    }
    return (pid_t) syscall(SYS_clone3, &args, sizeof(args));
}

pid_t clone3_nondumpable(uint64_t flags, int cgroup_fd, int *pidfd)
{
    /* The flag belongs to the mm, which the child copies: it is never dumpable, so the
     * container's processes cannot open its /proc/<pid> files (exe, fd, mem, ...) while it
     * sets up; execve resets it. A rootless parent must stay able to write the uid_map of a
     * new user namespace, which a non-dumpable child's root-owned /proc files forbid. */
    bool hide = !(flags & CLONE_NEWUSER) || geteuid() == 0;
    int was = hide ? prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) : 0;
    if (hide && was != 0)
        prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    pid_t pid = clone3_pidfd(flags, cgroup_fd, pidfd);
    if (pid != 0 && hide && was > 0) {
        int saved = errno;
        prctl(PR_SET_DUMPABLE, was, 0, 0, 0);
        errno = saved;
    }
    return pid;
}

int seccomp_cache_for(const struct vse_runtime *rt, const struct spec *s)
{
    if (s->linux_ == NULL || s->linux_->seccomp == NULL)
        return -1;
    return security_seccomp_cache_open(rt->root, rt->log);
}

int seccomp_compile_cached(const struct spec *s, int cache_fd, const struct vse_logger *log,
                           struct security_seccomp **out, struct vse_err *err)
{
    *out = NULL;
    if (s->linux_ == NULL || s->linux_->seccomp == NULL)
        return 0;
    struct security_seccomp_opts opts = {.cache_dirfd = cache_fd};
    return security_seccomp_compile_opts(s->linux_->seccomp, &opts, log, out, err);
}

int take_pty_master(const char *console_socket, int fd, int *master, struct vse_err *err)
{
    _cleanup_close_ int pty = fd;
    if (pty < 0)
        return vse_fail(err, EPROTO, "sync: pty message without an fd");
    if (console_socket)
        return process_send_console(console_socket, pty, err);
    vse_closep(master);
    *master = steal_fd(&pty);
    return 0;
}

void kill_and_reap(int pidfd)
{
    if (pidfd < 0)
        return;
    pidfd_send_signal(pidfd, SIGKILL, NULL, 0);
    siginfo_t si;
    while (waitid(P_PIDFD, (id_t) pidfd, &si, WEXITED) < 0 && errno == EINTR)
        ;
}

int write_pid_file(const char *path, pid_t pid, struct vse_err *err)
{
    char buf[32];
    int n = snprintf(buf, sizeof(buf), "%d", (int) pid);
    int ret = vse_write_file_atomic(path, buf, (size_t) n, 0644, err);
    return ret < 0 ? vse_err_prefix(err, "--pid-file") : 0;
}
