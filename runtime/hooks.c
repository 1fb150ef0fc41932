/* OCI hooks: each one is executed with the container state on stdin, in order, with an optional
 * timeout. Which failures are fatal is the caller's decision (runtime-spec config.md: prestart,
 * createRuntime, createContainer and startContainer failures stop the lifecycle; poststart and
 * poststop failures are only logged). */
#include "runtime/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"

/* A pipe already holding the state, so the hook can read it at its own pace and we never block
 * or take SIGPIPE when a hook ignores its stdin. */
static int state_pipe(const char *state_json, struct vse_err *err)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0)
        return vse_fail_errno(err, "pipe");
    _cleanup_close_ int rd = p[0];
    _cleanup_close_ int wr = p[1];
    size_t len = strlen(state_json);
    if (len > 60000 && fcntl(wr, F_SETPIPE_SZ, (int) len + 4096) < 0)
        return vse_fail_errno(err, "state too large for the hook's stdin pipe");
    while (len > 0) {
        ssize_t n = write(wr, state_json, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return vse_fail_errno(err, "write hook stdin");
        state_json += n;
        len -= (size_t) n;
    }
    return steal_fd(&rd);
}

__attribute__((noreturn)) static void hook_child(const struct spec_hook *h, int in_fd)
{
    if (dup2(in_fd, STDIN_FILENO) < 0)
        _exit(127);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    char *fallback_args[] = {h->path, NULL};
    char *empty_env[] = {NULL};
    execve(h->path, h->args ? h->args : fallback_args, h->env ? h->env : empty_env);
    _exit(127);
}

/* Waits for the hook, killing it once its timeout (seconds, 0: none) has passed. */
static int wait_hook(int pidfd, int64_t timeout, int *status, struct vse_err *err)
{
    struct pollfd p = {.fd = pidfd, .events = POLLIN};
    int ms = timeout > 0 ? (int) (timeout * 1000) : -1;
    int n;
    do
        n = poll(&p, 1, ms);
    while (n < 0 && errno == EINTR);
    if (n == 0) {
        pidfd_send_signal(pidfd, SIGKILL, NULL, 0);
        siginfo_t si;
        waitid(P_PIDFD, (id_t) pidfd, &si, WEXITED);
        return vse_fail(err, ETIMEDOUT, "timed out after %lld s", (long long) timeout);
    }
    siginfo_t si = {0};
    if (waitid(P_PIDFD, (id_t) pidfd, &si, WEXITED) < 0)
        return vse_fail_errno(err, "waitid");
    *status = si.si_code == CLD_EXITED ? si.si_status : 128 + si.si_status;
    return 0;
}

static int run_one(const struct spec_hook *h, const char *state_json, struct vse_err *err)
{
    _cleanup_close_ int in_fd = state_pipe(state_json, err);
    if (in_fd < 0)
        return in_fd;
    int pidfd = -1;
    pid_t pid = clone3_pidfd(0, -1, &pidfd);
    if (pid < 0)
        return vse_fail_errno(err, "fork");
    if (pid == 0)
        hook_child(h, in_fd);
    _cleanup_close_ int pfd = pidfd;
    int status = 0;
    int ret = wait_hook(pfd, h->timeout.set ? h->timeout.value : 0, &status, err);
    if (ret < 0)
        return vse_err_prefix(err, "%s", h->path);
    if (status == 127 && access(h->path, X_OK) < 0)
        return vse_fail_errno(err, "%s: exec", h->path);
    if (status != 0)
        return vse_fail(err, EIO, "%s: exited with status %d", h->path, status);
    return 0;
}

int hooks_run(const struct spec_hook_list *l, const char *kind, const char *state_json,
              struct vse_err *err)
{
    for (size_t i = 0; i < l->n; i++) {
        int ret = run_one(&l->hooks[i], state_json, err);
        if (ret < 0)
            return vse_err_prefix(err, "hooks.%s[%zu]", kind, i);
    }
    return 0;
}

void hooks_run_warn(const struct spec_hook_list *l, const char *kind, const char *state_json,
                    const struct vse_logger *log)
{
    for (size_t i = 0; i < l->n; i++) {
        struct vse_err err = {0};
        if (run_one(&l->hooks[i], state_json, &err) < 0)
            vse_log(log, VSE_LOG_WARN, "hooks.%s[%zu]: %s", kind, i, err.msg);
    }
}
