/* The container's terminal: a pty from the ptmx the caller opened (the container's own devpts
 * instance, found by rootfs_open_ptmx()), making it the controlling terminal, and handing the
 * master to whoever owns the other end (the console socket of runc's protocol, or any unix
 * socket). See process/process.h. */
#include "process/process.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif

int process_open_pty(int *ptmx, const struct spec_process *p, struct process_pty *out,
                     struct vse_err *err)
{
    int master = *ptmx;
    int unlock = 0;
    if (ioctl(master, TIOCSPTLCK, &unlock) < 0)
        return vse_fail_errno(err, "process.terminal: unlockpt");
    unsigned int n;
    if (ioctl(master, TIOCGPTN, &n) < 0)
        return vse_fail_errno(err, "process.terminal: ptsname");
    if (p != NULL && p->has_console_size) {
        struct winsize ws = {.ws_row = (unsigned short) p->console_height,
                             .ws_col = (unsigned short) p->console_width};
        if (ioctl(master, TIOCSWINSZ, &ws) < 0)
            return vse_fail_errno(err, "process.consoleSize: TIOCSWINSZ %ux%u",
                                  p->console_height, p->console_width);
    }
    /* The slave by fd: no path lookup the container could redirect. */
    int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (slave < 0)
        return vse_fail_errno(err, "process.terminal: open the pty slave (TIOCGPTPEER)");
    out->master = steal_fd(ptmx);
    out->slave = slave;
    snprintf(out->name, sizeof(out->name), "/dev/pts/%u", n);
    return 0;
}

int process_attach_terminal(struct process_pty *pty, struct vse_err *err)
{
    int slave = pty->slave;
    if (setsid() < 0)
        return vse_fail_errno(err, "process.terminal: setsid");
    if (ioctl(slave, TIOCSCTTY, 0) < 0)
        return vse_fail_errno(err, "process.terminal: TIOCSCTTY");
    for (int target = 0; target <= 2; target++) {
        /* dup2 onto itself would keep O_CLOEXEC. */
        int r = slave == target ? fcntl(slave, F_SETFD, 0) : dup2(slave, target);
        if (r < 0)
            return vse_fail_errno(err, "process.terminal: put the pty on fd %d", target);
    }
    /* The slave now stands on fds 0-2; a slave that is one of them stays open. */
    if (slave > 2)
        close(slave);
    pty->slave = -1;
    return 0;
}

void process_pty_release(struct process_pty *pty)
{
    vse_closep(&pty->master);
    vse_closep(&pty->slave);
    pty->master = pty->slave = -1;
}

/* Connects to a unix socket path; paths longer than sun_path go through /proc/self/fd. */
static int connect_unix(const char *path, struct vse_err *err)
{
    _cleanup_close_ int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (sock < 0)
        return vse_fail_errno(err, "socket(AF_UNIX)");
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    _cleanup_close_ int dirfd = -1;
    if (strlen(path) >= sizeof(addr.sun_path)) {
        _cleanup_free_ char *dir = vse_strdup(path);
        char *slash = strrchr(dir, '/');
        if (slash == NULL)
            return vse_fail(err, ENAMETOOLONG, "%s: socket path too long", path);
        *slash = '\0';
        dirfd = open(dir[0] ? dir : "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dirfd < 0)
            return vse_fail_errno(err, "open %s", dir);
        int n = snprintf(addr.sun_path, sizeof(addr.sun_path), "/proc/self/fd/%d/%s", dirfd,
                         slash + 1);
        if (n < 0 || (size_t) n >= sizeof(addr.sun_path))
            return vse_fail(err, ENAMETOOLONG, "%s: socket path too long", path);
    } else {
        memcpy(addr.sun_path, path, strlen(path) + 1);
    }
    if (connect(sock, (struct sockaddr *) &addr, sizeof(addr)) < 0)
        return vse_fail_errno(err, "connect %s", path);
    return steal_fd(&sock);
}

int process_send_console(const char *socket_path, int master, struct vse_err *err)
{
    _cleanup_close_ int sock = connect_unix(socket_path, err);
    if (sock < 0)
        return vse_err_prefix(err, "--console-socket");
    /* Like runc, the payload is the master's file name. */
    char name[PATH_MAX] = "/dev/ptmx";
    char link[64];
    snprintf(link, sizeof(link), "/proc/self/fd/%d", master);
    ssize_t n = readlink(link, name, sizeof(name) - 1);
    if (n > 0)
        name[n] = '\0';
    else
        snprintf(name, sizeof(name), "/dev/ptmx");
    int ret = process_send_fd(sock, master, name, err);
    if (ret < 0)
        return vse_err_prefix(err, "--console-socket %s", socket_path);
    return 0;
}

int process_send_fd_buf(int sock, int fd, const void *buf, size_t len, size_t *sent)
{
    struct iovec iov = {.iov_base = (void *) buf, .iov_len = len};
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } ctl;
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
    if (fd >= 0) {
        memset(&ctl, 0, sizeof(ctl));
        msg.msg_control = ctl.buf;
        msg.msg_controllen = sizeof(ctl.buf);
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &fd, sizeof(int));
    }
    ssize_t n;
    do
        n = sendmsg(sock, &msg, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return -errno;
    if (sent)
        *sent = (size_t) n;
    return 0;
}

int process_send_fd(int sock, int fd, const char *name, struct vse_err *err)
{
    const char *payload = (name && *name) ? name : "\0";
    size_t len = (name && *name) ? strlen(name) : 1;
    /* Always an fd here (the _buf variant takes -1 as "none"): the kernel's answer to -1. */
    int ret = fd < 0 ? -EBADF : process_send_fd_buf(sock, fd, payload, len, NULL);
    if (ret < 0)
        return vse_fail_code(err, ret, "sending fd %d (%s)", fd, name ? name : "");
    return 0;
}

static void close_passed_fds(struct msghdr *msg, int *keep)
{
    for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
            continue;
        size_t nfds = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < nfds; i++) {
            int fd;
            memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
            if (*keep < 0)
                *keep = fd;
            else
                close(fd);
        }
    }
}

int process_recv_fd_buf(int sock, void *buf, size_t len, size_t *received, int *fd)
{
    *fd = -1;
    struct iovec iov = {.iov_base = buf, .iov_len = len};
    union {
        char buf[CMSG_SPACE(sizeof(int) * 8)];
        struct cmsghdr align;
    } ctl;
    memset(&ctl, 0, sizeof(ctl));
    struct msghdr msg = {.msg_iov = &iov,
                         .msg_iovlen = 1,
                         .msg_control = ctl.buf,
                         .msg_controllen = sizeof(ctl.buf)};
    ssize_t n;
    do
        n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return -errno;
    int got = -1;
    close_passed_fds(&msg, &got);
    if (msg.msg_flags & MSG_CTRUNC) {
        if (got >= 0)
            close(got);
        return -EMSGSIZE;
    }
    *received = (size_t) n;
    *fd = got;
    return 0;
}

int process_recv_fd(int sock, int *fd, struct vse_err *err)
{
    char payload[4096];
    size_t n = 0;
    int got = -1;
    int ret = process_recv_fd_buf(sock, payload, sizeof(payload), &n, &got);
    if (ret == -EMSGSIZE)
        return vse_fail(err, EMSGSIZE, "receiving an fd: control data truncated");
    if (ret < 0)
        return vse_fail_code(err, ret, "receiving an fd");
    if (got < 0)
        return vse_fail(err, n == 0 ? ECONNRESET : EBADMSG,
                        n == 0 ? "receiving an fd: peer closed the socket"
                               : "receiving an fd: message carried no file descriptor");
    *fd = got;
    return 0;
}
