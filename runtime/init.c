/* The container init: what the clone3 child does between clone and execve, as a straight list
 * of steps (docs/design.md, "Process model" step 5). Every failure goes back to the parent as
 * one ERROR message naming the step, and the child exits. */
#include "runtime/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/keyctl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "ns/ns.h"
#include "process/process.h"
#include "rootfs/rootfs.h"
#include "security/security.h"

/* What the init keeps between steps. */
struct init_ctx {
    const struct init_args *a;
    const struct spec_process *p;
    struct rootfs_ctx rctx;
    struct container_state st; /* for the state JSON of hooks and seccomp listeners */
    char *state_json;
    struct process_pty pty;    /* slave kept until it becomes the controlling terminal */
    char *exec_path;           /* process.args[0] resolved in the container's PATH */
    bool in_cgroup;            /* SYNC_CGROUP received (and the cgroup namespace made) */
};

static void init_ctx_release(struct init_ctx *c)
{
    free(c->state_json);
    free(c->exec_path);
    process_pty_release(&c->pty);
}

/* Waits for GO: the parent has written the id maps and put us into the cgroup. */
static int wait_for_go(struct init_ctx *c, struct vse_err *err)
{
    struct sync_msg m;
    int ret = sync_expect(c->a->sync_fd, SYNC_GO, &m, NULL, err);
    if (ret < 0)
        return ret;
    c->st.pid = m.value;
    c->state_json = state_json_for(&c->st, CONTAINER_CREATING);
    return 0;
}

/* In a new user namespace we start unmapped; become its root so files we create are owned by
 * a mapped id. process_set_user() switches to the configured user later. */
static int become_userns_root(const struct init_ctx *c, struct vse_err *err)
{
    if (!c->a->in_user_ns)
        return 0;
    if (setresgid(0, 0, 0) < 0)
        return vse_fail_errno(err, "user namespace: setresgid(0) (is gid 0 mapped?)");
    if (setresuid(0, 0, 0) < 0)
        return vse_fail_errno(err, "user namespace: setresuid(0) (is uid 0 mapped?)");
    return 0;
}

static int join_keyring(const struct init_ctx *c, struct vse_err *err)
{
    if (c->a->o->no_new_keyring)
        return 0;
    /* A session keyring of the container's own, so keys never leak between containers. */
    if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, c->a->id) < 0 && errno != ENOSYS &&
        errno != EPERM && errno != EACCES && errno != EDQUOT)
        return vse_fail_errno(err, "join session keyring %s", c->a->id);
    return 0;
}

static int join_namespaces(const struct init_ctx *c, struct vse_err *err)
{
    /* pid and time namespaces were entered by the parent, for us, around clone3. */
    int ret = ns_join_fds(c->a->ns_fds, CLONE_NEWPID | CLONE_NEWTIME, err);
    return ret;
}

/* Waits until the parent has put us into the container's cgroup, then makes the cgroup
 * namespace (its root must be that cgroup). Runs once: before the first cgroup mount, or after
 * the other mounts when there is none. */
static int join_cgroup(void *data, struct vse_err *err)
{
    struct init_ctx *c = data;
    if (c->in_cgroup)
        return 0;
    struct sync_msg m;
    int ret = sync_expect(c->a->sync_fd, SYNC_CGROUP, &m, NULL, err);
    if (ret < 0)
        return ret;
    if (c->a->unshare_cgroupns && unshare(CLONE_NEWCGROUP) < 0)
        return vse_fail_errno(err, "unshare cgroup namespace");
    c->in_cgroup = true;
    return 0;
}

/* Opens a pty of the container's devpts instance (the rootfs is fully mounted now), binds its
 * slave over /dev/console and hands the master to the parent, which passes it on to the
 * console socket or relays it. */
static int setup_terminal(struct init_ctx *c, struct vse_err *err)
{
    if (c->p == NULL || !c->p->terminal)
        return 0;
    int ret = container_pty_open(c->a->rootfs, c->p, &c->pty, err);
    if (ret < 0)
        return ret;
    char slave[32];
    snprintf(slave, sizeof(slave), "/proc/self/fd/%d", c->pty.slave);
    if ((ret = rootfs_bind_console(&c->rctx, slave, err)) < 0)
        return ret;
    return container_pty_send_master(c->a->sync_fd, &c->pty, err);
}

/* prestart and createRuntime hooks run in the parent, in the runtime's namespaces. */
static int parent_hooks(const struct init_ctx *c, struct vse_err *err)
{
    const struct spec_hooks *h = &c->a->spec->hooks;
    if (h->prestart.n == 0 && h->create_runtime.n == 0)
        return 0;
    int ret = sync_send(c->a->sync_fd, SYNC_HOOKS, 0, NULL, -1);
    if (ret < 0)
        return vse_fail_code(err, ret, "request hooks");
    struct sync_msg m;
    return sync_expect(c->a->sync_fd, SYNC_HOOKS_DONE, &m, NULL, err);
}

/* The steps an exec'd process takes too, once the container's root is final. */
static int setup_process(struct init_ctx *c, struct security_seccomp *filter,
                         struct vse_err *err)
{
    struct process_setup s = {
        .p = c->p,
        .personality = c->a->spec->linux_,
        .in_userns = c->a->in_user_ns || c->a->ns_fds[SPEC_NS_USER] >= 0,
        .tty = c->p->terminal ? &c->pty : NULL,
        .filter = filter,
        .state_json = c->state_json,
        .log = c->a->rt->log,
    };
    return process_setup_apply(&s, &c->exec_path, err);
}

/* READY, then block until `start` (exec.fifo) or, for run, the START message. */
static int report_ready_and_wait(const struct init_ctx *c, struct vse_err *err)
{
    /* The parent of `create` exits after READY: from here on its death must not kill us. */
    prctl(PR_SET_PDEATHSIG, 0);
    int ret = sync_send(c->a->sync_fd, SYNC_READY, 0, NULL, -1);
    if (ret < 0)
        return vse_fail_code(err, ret, "send READY");
    if (c->a->fifo_fd < 0) {
        struct sync_msg m;
        return sync_expect(c->a->sync_fd, SYNC_START, &m, NULL, err);
    }
    char byte;
    ssize_t n;
    do
        n = read(c->a->fifo_fd, &byte, 1);
    while (n < 0 && errno == EINTR);
    if (n != 1)
        return vse_fail_errno(err, "wait for start: read exec.fifo");
    close(c->a->fifo_fd);
    return 0;
}

/* tmpcopyup copies image data into a tmpfs during rootfs_prepare: those pages are charged to
 * the memory cgroup of whoever writes them, so such a config joins its cgroup before any mount
 * instead of overlapping the join with the mounts. */
static int join_cgroup_before_copying(struct init_ctx *c, struct vse_err *err)
{
    const struct spec *s = c->a->spec;
    for (size_t i = 0; i < s->n_mounts; i++)
        if (vse_strv_contains(s->mounts[i].options, "tmpcopyup"))
            return join_cgroup(c, err);
    return 0;
}

static int init_steps(struct init_ctx *c, struct vse_err *err)
{
    const struct init_args *a = c->a;
    struct security_seccomp *filter __attribute__((cleanup(security_seccomp_freep))) = NULL;
    int ret;
    if ((ret = wait_for_go(c, err)) < 0 || (ret = become_userns_root(c, err)) < 0 ||
        (ret = join_keyring(c, err)) < 0 || (ret = join_namespaces(c, err)) < 0 ||
        (ret = join_cgroup_before_copying(c, err)) < 0 ||
        (ret = rootfs_prepare(&c->rctx, err)) < 0 || (ret = join_cgroup(c, err)) < 0 ||
        (ret = setup_terminal(c, err)) < 0 ||
        (ret = parent_hooks(c, err)) < 0)
        return ret;
    if ((ret = hooks_run(&a->spec->hooks.create_container, "createContainer", c->state_json,
                         err)) < 0)
        return ret;
    ret = seccomp_compile_cached(a->spec, a->seccomp_cache_fd, a->rt->log, &filter, err);
    if (a->seccomp_cache_fd >= 0)
        close(a->seccomp_cache_fd);
    if (ret < 0)
        return ret;
    if ((ret = rootfs_pivot(&c->rctx, err)) < 0 || (ret = ns_apply_uts(a->spec, err)) < 0 ||
        (ret = ns_apply_sysctl(a->spec->linux_, err)) < 0 ||
        (ret = rootfs_finalize(&c->rctx, err)) < 0 || (ret = setup_process(c, filter, err)) < 0)
        return ret;
    if ((ret = report_ready_and_wait(c, err)) < 0)
        return ret;
    if (a->spec->hooks.start_container.n > 0) {
        _cleanup_free_ char *running = state_json_for(&c->st, CONTAINER_RUNNING);
        if ((ret = hooks_run(&a->spec->hooks.start_container, "startContainer", running,
                             err)) < 0)
            return ret;
    }
    return process_exec_path(c->exec_path, c->p, err);
}

void init_main(const struct init_args *a)
{
    /* flock belongs to the open file: our inherited copy would hold the lock until execve. */
    close(a->lock_fd);
    /* The parent blocks the signals it forwards; the container starts with none blocked. */
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    /* Dies with the runtime during setup instead of lingering half-made. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    /* Everything above the preserved fds stays out of the container: our caller's are closed
     * now (we may wait in `created` for a long time), our own at execve. */
    unsigned first_free = 3 + (unsigned) (a->o->preserve_fds > 0 ? a->o->preserve_fds : 0);
    process_close_inherited_fds((int) first_free);
    close_range(first_free, ~0U, CLOSE_RANGE_CLOEXEC);

    struct init_ctx c = {
        .a = a,
        .p = a->spec->process,
        .rctx = {.spec = a->spec, .bundle = a->bundle, .rootfs = a->rootfs,
                 .no_pivot = a->o->no_pivot, .in_user_ns = a->in_user_ns, .log = a->rt->log,
                 .before_cgroup_mount = join_cgroup},
        .st = {.id = (char *) a->id, .bundle = (char *) a->bundle, .rootfs = (char *) a->rootfs,
               .created = (char *) a->created, .owner = (char *) "",
               .spec = (struct spec *) a->spec, .lock_fd = -1},
        .pty = {.master = -1, .slave = -1},
    };
    c.rctx.hook_data = &c;
    struct vse_err err = {0};
    if (c.p == NULL)
        vse_fail(&err, EINVAL, "process: required to start a container");
    else
        init_steps(&c, &err);
    init_ctx_release(&c);
    sync_fail_exit(a->sync_fd, &err);
}
