/* Foreground `run` and `exec`: wait for the container process, forward the signals we get to
 * it, and relay a pty between the caller's terminal and the container. */
#include "runtime/internal.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/pidfd.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "common/cleanup.h"

/* The signals a foreground run passes on; SIGCHLD and SIGWINCH are handled here. */
static const int forwarded[] = {SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGCONT,
                                SIGTSTP, SIGTTIN, SIGTTOU, SIGWINCH, SIGALRM, SIGPIPE};

int forward_signals_setup(sigset_t *old, struct vse_err *err)
{
    sigset_t set;
    sigemptyset(&set);
    for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
        sigaddset(&set, forwarded[i]);
    if (sigprocmask(SIG_BLOCK, &set, old) < 0)
        return vse_fail_errno(err, "sigprocmask");
    int fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    if (fd < 0)
        return vse_fail_errno(err, "signalfd");
    return fd;
}

static void copy_winsize(int from, int to)
{
    struct winsize ws;
    if (ioctl(from, TIOCGWINSZ, &ws) == 0)
        ioctl(to, TIOCSWINSZ, &ws);
}

/* Copies what is readable on `from` to `to`; false at EOF or error. */
static bool pump(int from, int to)
{
    char buf[8192];
    ssize_t n = read(from, buf, sizeof(buf));
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return true;
    if (n <= 0)
        return false;
    for (ssize_t off = 0; off < n;) {
        ssize_t w = write(to, buf + off, (size_t) (n - off));
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return false;
        off += w;
    }
    return true;
}

static void handle_signal(int sigfd, int pidfd, int master)
{
    struct signalfd_siginfo si;
    while (read(sigfd, &si, sizeof(si)) == (ssize_t) sizeof(si)) {
        if (si.ssi_signo == SIGWINCH) {
            if (master >= 0)
                copy_winsize(STDIN_FILENO, master);
            continue;
        }
        pidfd_send_signal(pidfd, (int) si.ssi_signo, NULL, 0);
    }
}

/* Puts the caller's terminal in raw mode for the relay; restored by the caller. */
static bool make_raw(struct termios *saved)
{
    if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, saved) < 0)
        return false;
    struct termios raw = *saved;
    cfmakeraw(&raw);
    return tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
}

/* Drains what the container wrote before it exited. */
static void drain(int master)
{
    struct pollfd p = {.fd = master, .events = POLLIN};
    while (poll(&p, 1, 0) > 0 && (p.revents & POLLIN) && pump(master, STDOUT_FILENO))
        ;
}

/* An ERROR from the child after START; EOF (execve done) closes the channel. */
static bool read_late_error(int sync_fd, struct vse_err *late)
{
    struct sync_msg m;
    if (sync_recv(sync_fd, &m, NULL) < 0)
        return false;
    if (m.type == SYNC_ERROR && late->code == 0)
        vse_fail(late, m.value > 0 ? m.value : EIO, "%s", m.text);
    return true;
}

int wait_forward(int pidfd, int sigfd, int master, int sync_fd, int *exit_status,
                 struct vse_err *err)
{
    struct vse_err late = {0};
    bool sync_open = sync_fd >= 0;
    struct termios saved;
    bool raw = master >= 0 && make_raw(&saved);
    if (master >= 0)
        copy_winsize(STDIN_FILENO, master);
    bool stdin_open = master >= 0;
    bool master_open = master >= 0;
    for (;;) {
        struct pollfd p[5] = {
            {.fd = pidfd, .events = POLLIN},
            {.fd = sigfd, .events = POLLIN},
            {.fd = stdin_open ? STDIN_FILENO : -1, .events = POLLIN},
            {.fd = master_open ? master : -1, .events = POLLIN},
            {.fd = sync_open ? sync_fd : -1, .events = POLLIN},
        };
        if (poll(p, 5, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (p[1].revents & POLLIN)
            handle_signal(sigfd, pidfd, master);
        if (p[2].revents & (POLLIN | POLLHUP))
            stdin_open = pump(STDIN_FILENO, master);
        if (p[3].revents & POLLIN)
            master_open = pump(master, STDOUT_FILENO);
        else if (p[3].revents & (POLLHUP | POLLERR))
            master_open = false;
        if (p[4].revents & (POLLIN | POLLHUP))
            sync_open = read_late_error(sync_fd, &late);
        if (p[0].revents & POLLIN)
            break;
    }
    if (sync_open)
        read_late_error(sync_fd, &late);
    if (master >= 0 && master_open)
        drain(master);
    if (raw)
        tcsetattr(STDIN_FILENO, TCSANOW, &saved);
    siginfo_t si = {0};
    if (waitid(P_PIDFD, (id_t) pidfd, &si, WEXITED) < 0)
        return vse_fail_errno(err, "waitid");
    *exit_status = si.si_code == CLD_EXITED ? si.si_status : 128 + si.si_status;
    if (late.code != 0) {
        *err = late;
        return -late.code;
    }
    return 0;
}
