/* The container's terminal comes from the container's own devpts instance (mounted with
 * newinstance at /dev/pts), never from the host's /dev/ptmx: the pty number then exists in the
 * container's /dev/pts, and nothing of the host's pty namespace is handed in. */
#include "runtime/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <unistd.h>

#include "common/cleanup.h"

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif

/* <root>/dev/pts/ptmx, resolved inside the container's root without following any symlink,
 * and checked to be the ptmx node of a devpts filesystem. */
static int open_container_ptmx(int rootfd, struct vse_err *err)
{
    struct open_how how = {
        .flags = O_RDWR | O_NOCTTY | O_CLOEXEC,
        .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
    };
    _cleanup_close_ int fd = (int) syscall(SYS_openat2, rootfd, "dev/pts/ptmx", &how,
                                           sizeof(how));
    if (fd < 0)
        return vse_fail_errno(err, "process.terminal: the pty for /dev/console comes from the "
                              "container's devpts (mount devpts with newinstance at "
                              "/dev/pts): open /dev/pts/ptmx");
    struct statfs sfs;
    struct stat sb;
    if (fstatfs(fd, &sfs) < 0 || fstat(fd, &sb) < 0)
        return vse_fail_errno(err, "process.terminal: stat /dev/pts/ptmx");
    if (sfs.f_type != DEVPTS_SUPER_MAGIC || !S_ISCHR(sb.st_mode) || major(sb.st_rdev) != 5 ||
        minor(sb.st_rdev) != 2)
        return vse_fail(err, EINVAL, "process.terminal: /dev/pts/ptmx of the container is not "
                        "the ptmx of a devpts mount (needed for /dev/console)");
    return steal_fd(&fd);
}

int console_open_pty(int rootfd, const struct spec_process *p, struct console_pty *out,
                     struct vse_err *err)
{
    _cleanup_close_ int master = open_container_ptmx(rootfd, err);
    if (master < 0)
        return master;
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
    out->master = steal_fd(&master);
    out->slave = slave;
    snprintf(out->name, sizeof(out->name), "/dev/pts/%u", n);
    return 0;
}

int console_attach(int slave, struct vse_err *err)
{
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
    return 0;
}

void console_pty_release(struct console_pty *c)
{
    vse_closep(&c->master);
    vse_closep(&c->slave);
    c->master = c->slave = -1;
}
