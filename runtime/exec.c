/* exec: a new process in a running container. The parent enters the init's pid namespace for
 * its children and clone3s; the child joins every other namespace with one setns(pidfd, ...),
 * waits until the parent has put it into the cgroup, applies the process attributes and the
 * config's security settings, and execs. Same sync protocol as the init: EOF on the CLOEXEC
 * sync socket means execve succeeded. */
#include "runtime/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "ns/ns.h"
#include "process/process.h"
#include "security/security.h"

/* The process to run: either parsed from --process (owned) or the config's process with the
 * command-line overrides; only the overridden members are owned here. */
struct exec_process {
    struct spec_process p;
    struct spec_process *parsed; /* --process FILE */
    char **env;
    struct spec_capabilities caps;
};

static void exec_process_release(struct exec_process *e)
{
    spec_process_free(e->parsed);
    vse_strv_free(e->env);
}

static int parse_user(const char *s, struct spec_user *u, struct vse_err *err)
{
    _cleanup_free_ char *copy = vse_strdup(s);
    char *colon = strchr(copy, ':');
    if (colon)
        *colon++ = '\0';
    uint64_t uid = 0, gid = 0;
    if (vse_parse_uint64(copy, &uid) < 0 || uid > UINT32_MAX ||
        (colon && (vse_parse_uint64(colon, &gid) < 0 || gid > UINT32_MAX)))
        return vse_fail(err, EINVAL, "--user %s: expected uid[:gid]", s);
    u->uid = (uint32_t) uid;
    u->gid = colon ? (uint32_t) gid : u->gid;
    return 0;
}

/* --env KEY=VALUE replaces the config's KEY or is added. */
static char **merge_env(char *const *base, char *const *extra)
{
    char **env = vse_strv_dup(base);
    for (size_t i = 0; extra && extra[i]; i++) {
        const char *eq = strchr(extra[i], '=');
        size_t keylen = eq ? (size_t) (eq - extra[i]) : strlen(extra[i]);
        bool replaced = false;
        for (size_t j = 0; env && env[j]; j++) {
            if (strncmp(env[j], extra[i], keylen) == 0 && env[j][keylen] == '=') {
                free(env[j]);
                env[j] = vse_strdup(extra[i]);
                replaced = true;
                break;
            }
        }
        if (!replaced)
            vse_strv_push(&env, extra[i]);
    }
    return env;
}

static int add_caps(struct spec_capabilities *c, char *const *names, struct vse_err *err)
{
    for (size_t i = 0; names && names[i]; i++) {
        cap_value_t v;
        if (cap_from_name(names[i], &v) < 0)
            return vse_fail(err, EINVAL, "--cap %s: unknown capability", names[i]);
        uint64_t bit = 1ULL << v;
        c->bounding |= bit;
        c->effective |= bit;
        c->permitted |= bit;
    }
    return 0;
}

static int build_process(const struct spec *s, const struct runtime_exec_opts *o,
                         struct exec_process *e, struct vse_err *err)
{
    if (o->process_file) {
        _cleanup_free_ char *text = NULL;
        int ret = vse_read_file_at(AT_FDCWD, o->process_file, &text, NULL, err);
        if (ret < 0 || (ret = spec_parse_process(text, &e->parsed, err)) < 0)
            return ret < 0 ? vse_err_prefix(err, "--process") : ret;
        e->p = *e->parsed;
        return 0;
    }
    if (s->process == NULL)
        return vse_fail(err, EINVAL, "process: missing from the container's config");
    if (o->args == NULL || o->args[0] == NULL)
        return vse_fail(err, EINVAL, "exec: no command given");
    e->p = *s->process;
    e->p.args = o->args;
    e->p.env = e->env = merge_env(s->process->env, o->env);
    e->p.terminal = o->tty;
    e->p.has_console_size = false;
    if (o->cwd)
        e->p.cwd = (char *) o->cwd;
    int ret;
    if (o->user && (ret = parse_user(o->user, &e->p.user, err)) < 0)
        return ret;
    if (s->process->capabilities)
        e->caps = *s->process->capabilities;
    if ((ret = add_caps(&e->caps, o->caps, err)) < 0)
        return ret;
    e->p.capabilities = &e->caps;
    e->p.no_new_privileges = s->process->no_new_privileges || o->no_new_privs;
    return 0;
}

struct exec_ctx {
    const struct vse_runtime *rt;
    const struct runtime_exec_opts *o;
    struct container_state *st;
    const struct spec_process *p;
    int init_pidfd;
    int sync_parent, sync_child;
    int pidfd;
    int master;
    int seccomp_cache;
};

static void exec_ctx_release(struct exec_ctx *c)
{
    int *fds[] = {&c->init_pidfd, &c->sync_parent, &c->sync_child, &c->pidfd, &c->master,
                  &c->seccomp_cache};
    for (size_t i = 0; i < VSE_ARRAY_SIZE(fds); i++)
        vse_closep(fds[i]);
}

/* The namespaces to join through the init's pidfd: the config's (pid is done by the parent;
 * the user namespace only when the container has its own, setns refuses our own). */
static int exec_ns_flags(const struct spec *s)
{
    int flags = 0;
    for (size_t i = 0; s->linux_ && i < s->linux_->n_namespaces; i++)
        flags |= ns_clone_flag(s->linux_->namespaces[i].type);
    return flags & ~CLONE_NEWPID;
}

/* A pty of the container's devpts (we are in its mount namespace: "/" is its root); the
 * master goes to the parent, the slave becomes our terminal in process_setup_apply(). */
static int exec_terminal(const struct exec_ctx *c, struct process_pty *pty, struct vse_err *err)
{
    int ret = container_pty_open("/", c->p, pty, err);
    return ret < 0 ? ret : container_pty_send_master(c->sync_child, pty, err);
}

static int exec_child_steps(const struct exec_ctx *c, struct vse_err *err)
{
    const struct spec *s = c->st->spec;
    const struct spec_process *p = c->p;
    struct sync_msg m;
    int ret = sync_expect(c->sync_child, SYNC_GO, &m, NULL, err);
    if (ret < 0)
        return ret;
    /* execCPUAffinity.initial holds until the cgroup move; .final is applied after it, by
     * process_setup_apply(). */
    if (p->exec_cpu_affinity_initial &&
        (ret = process_apply_cpu_affinity(p->exec_cpu_affinity_initial, err)) < 0)
        return vse_err_prefix(err, "process.execCPUAffinity.initial");
    int flags = exec_ns_flags(s);
    if (flags && setns(c->init_pidfd, flags) < 0)
        return vse_fail_errno(err, "join the container's namespaces (setns 0x%x)", flags);
    struct process_pty pty __attribute__((cleanup(process_pty_release))) = {-1, -1, ""};
    if (p->terminal && (ret = exec_terminal(c, &pty, err)) < 0)
        return ret;
    struct security_seccomp *filter __attribute__((cleanup(security_seccomp_freep))) = NULL;
    if ((ret = seccomp_compile_cached(s, c->seccomp_cache, c->rt->log, &filter, err)) < 0)
        return ret;
    _cleanup_free_ char *state = filter ? state_json_for(c->st, CONTAINER_RUNNING) : NULL;
    struct process_setup setup = {
        .p = p,
        .in_userns = flags & CLONE_NEWUSER,
        .tty = p->terminal ? &pty : NULL,
        .filter = filter,
        .state_json = state,
        .log = c->rt->log,
    };
    /* In the container's cgroup before anything of the process's own runs (and before a
     * filter could forbid the read). */
    if ((ret = sync_expect(c->sync_child, SYNC_CGROUP, &m, NULL, err)) < 0)
        return ret;
    _cleanup_free_ char *path = NULL;
    if ((ret = process_setup_apply(&setup, &path, err)) < 0)
        return ret;
    /* A detached exec must outlive us. */
    prctl(PR_SET_PDEATHSIG, 0);
    return process_exec_path(path, p, err);
}

__attribute__((noreturn)) static void exec_child(const struct exec_ctx *c)
{
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    int preserve = c->o->preserve_fds > 0 ? c->o->preserve_fds : 0;
    close_range(3 + (unsigned) preserve, ~0U, CLOSE_RANGE_CLOEXEC);
    struct vse_err err = {0};
    exec_child_steps(c, &err);
    sync_fail_exit(c->sync_child, &err);
}

/* clone3 the child into the container's pid namespace (and cgroup, where a v2 fd exists). */
static int spawn_exec(struct exec_ctx *c, struct vse_err *err)
{
    int cgroup_fd = c->st->cgroup ? cgroup_manager_clone_fd(c->st->cgroup) : -1;
    bool pidns = spec_find_namespace(c->st->spec, SPEC_NS_PID) != NULL;
    _cleanup_close_ int own_pidns = -1;
    if (pidns) {
        own_pidns = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
        if (own_pidns < 0 || setns(c->init_pidfd, CLONE_NEWPID) < 0)
            return vse_fail_errno(err, "enter the container's pid namespace");
    }
    pid_t pid = clone3_nondumpable(0, cgroup_fd, &c->pidfd);
    int saved = errno;
    if (pid == 0)
        exec_child(c);
    if (pidns)
        setns(own_pidns, CLONE_NEWPID);
    if (pid < 0) {
        errno = saved;
        return vse_fail_errno(err, "clone3");
    }
    vse_closep(&c->sync_child);
    c->sync_child = -1;
    vse_closep(&c->seccomp_cache);
    c->seccomp_cache = -1;
    int ret = sync_send(c->sync_parent, SYNC_GO, pid, NULL, -1);
    if (ret < 0)
        return vse_fail_code(err, ret, "send GO to the exec process");
    ret = attach_and_signal_cgroup(c->st->cgroup, pid, c->sync_parent, err);
    return ret < 0 ? ret : pid;
}

/* Until EOF (execve done): the pty, or an error. */
static int await_exec(struct exec_ctx *c, struct vse_err *err)
{
    for (;;) {
        struct sync_msg m;
        int fd = -1;
        int ret = sync_recv_setup(c->sync_parent, &m, &fd, err);
        if (ret == -EPIPE)
            return 0;
        if (ret < 0)
            return ret;
        if (m.type != SYNC_PTY) {
            vse_closep(&fd);
            return vse_fail(err, EPROTO, "sync: unexpected message %u", m.type);
        }
        if ((ret = take_pty_master(c->o->console_socket, fd, &c->master, err)) < 0)
            return ret;
    }
}

/* Takes the init's pidfd (which proves it alive and not a reused pid) and checks that the
 * container accepts a new process. */
static int open_init(struct exec_ctx *c, struct vse_err *err)
{
    if (c->st->pid <= 0 && container_state_status(c->st) == CONTAINER_CREATING)
        return vse_fail(err, EINVAL, "cannot exec in a container that is being created");
    c->init_pidfd = container_state_pidfd(c->st, err);
    if (c->init_pidfd == -ESRCH)
        return vse_fail(err, EINVAL, "cannot exec in a stopped container");
    if (c->init_pidfd < 0)
        return c->init_pidfd;
    if (container_state_live_status(c->st) == CONTAINER_PAUSED)
        return vse_fail(err, EINVAL, "cannot exec in a paused container");
    return 0;
}

static int exec_in(struct exec_ctx *c, int sigfd, int *exit_status, struct vse_err *err)
{
    if (c->p->terminal && !c->o->console_socket && c->o->detach)
        return vse_fail(err, EINVAL, "--tty with --detach needs --console-socket");
    int ret = open_init(c, err);
    if (ret < 0)
        return ret;
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
        return vse_fail_errno(err, "sync socketpair");
    c->sync_parent = sv[0];
    c->sync_child = sv[1];
    c->seccomp_cache = seccomp_cache_for(c->rt, c->st->spec);
    pid_t pid = spawn_exec(c, err);
    if (pid < 0 || (ret = await_exec(c, err)) < 0) {
        kill_and_reap(c->pidfd);
        return pid < 0 ? pid : ret;
    }
    if (c->o->pid_file && (ret = write_pid_file(c->o->pid_file, pid, err)) < 0)
        return ret;
    if (c->o->detach)
        return 0;
    return wait_forward(c->pidfd, sigfd, c->master, -1, exit_status, err);
}

int runtime_exec(const struct vse_runtime *rt, const struct runtime_exec_opts *o,
                 int *exit_status, struct vse_err *err)
{
    *exit_status = 0;
    _cleanup_container_state_ struct container_state *st = NULL;
    int ret = container_state_load(rt, o->id, false, &st, err);
    if (ret < 0)
        return ret;
    struct exec_process e __attribute__((cleanup(exec_process_release))) = {0};
    if ((ret = build_process(st->spec, o, &e, err)) < 0)
        return ret;
    sigset_t old;
    _cleanup_close_ int sigfd = -1;
    if (!o->detach && (sigfd = forward_signals_setup(&old, err)) < 0)
        return sigfd;
    {
        struct exec_ctx c __attribute__((cleanup(exec_ctx_release))) = {
            .rt = rt, .o = o, .st = st, .p = &e.p, .init_pidfd = -1, .sync_parent = -1,
            .sync_child = -1, .pidfd = -1, .master = -1, .seccomp_cache = -1};
        ret = exec_in(&c, sigfd, exit_status, err);
    }
    if (!o->detach)
        sigprocmask(SIG_SETMASK, &old, NULL);
    return ret;
}
