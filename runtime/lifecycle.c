/* create and run: the parent side of the process model (docs/design.md). Everything create
 * makes is recorded in a struct create_ctx; its cleanup removes it all unless the container was
 * committed, so any early return leaves nothing behind. */
#include "runtime/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "ns/ns.h"
#include "process/process.h"

struct create_ctx {
    const struct vse_runtime *rt;
    const struct runtime_create_opts *o;
    bool is_run;
    struct container_state *st; /* owns spec, cgroup manager, lock */
    bool dir_made;
    int ns_fds[SPEC_NS_COUNT];
    int sync_parent, sync_child;
    int fifo_fd;
    int pidfd;
    int master; /* pty master for a foreground run with a terminal */
    int seccomp_cache; /* the filter cache dir, handed to the init */
    char *config_text; /* <bundle>/config.json as read: parsed, then copied to the state dir */
    size_t config_len;
    bool committed;
};

static void create_ctx_release(struct create_ctx *c)
{
    struct vse_err ignored = {0};
    if (!c->committed)
        kill_and_reap(c->pidfd);
    if (!c->committed && c->st && c->st->cgroup)
        cgroup_manager_destroy(c->st->cgroup, true, &ignored);
    if (!c->committed && c->dir_made)
        vse_rm_rf(c->st->dir, &ignored);
    ns_close_fds(c->ns_fds);
    int *fds[] = {&c->sync_parent, &c->sync_child, &c->fifo_fd, &c->pidfd, &c->master,
                  &c->seccomp_cache};
    for (size_t i = 0; i < VSE_ARRAY_SIZE(fds); i++)
        vse_closep(fds[i]);
    container_state_free(c->st);
    free(c->config_text);
}

#define _cleanup_create_ctx_ __attribute__((cleanup(create_ctx_release)))

static char *absolute_path(const char *path, struct vse_err *err)
{
    char *abs = realpath(path ? path : ".", NULL);
    if (abs == NULL)
        vse_fail_errno(err, "bundle %s", path ? path : ".");
    return abs;
}

static char *rootfs_of(const struct spec *s, const char *bundle)
{
    if (s->root->path[0] == '/')
        return vse_strdup(s->root->path);
    return vse_asprintf("%s/%s", bundle, s->root->path);
}

/* Reads <bundle>/config.json once: parsed here, and the same bytes go to the state dir. */
static int load_config(struct create_ctx *c, struct vse_err *err)
{
    _cleanup_free_ char *path = vse_asprintf("%s/config.json", c->st->bundle);
    int ret = vse_read_file_at(AT_FDCWD, path, &c->config_text, &c->config_len, err);
    if (ret < 0)
        return ret;
    if ((ret = spec_parse(c->config_text, &c->st->spec, err)) < 0)
        return vse_err_prefix(err, "%s", path);
    return 0;
}

/* Step 1: config, id, the state directory (mkdir is the exclusivity check) and its lock. */
static int create_state_dir(struct create_ctx *c, struct vse_err *err)
{
    int ret = runtime_validate_id(c->o->id, err);
    if (ret < 0)
        return ret;
    struct container_state *st = c->st = vse_zalloc(sizeof(*st));
    st->lock_fd = -1;
    st->id = vse_strdup(c->o->id);
    if ((st->bundle = absolute_path(c->o->bundle, err)) == NULL)
        return -err->code;
    if ((ret = load_config(c, err)) < 0)
        return ret;
    if (st->spec->root == NULL || st->spec->root->path == NULL)
        return vse_fail(err, EINVAL, "root.path: required");
    if (st->spec->process && st->spec->process->terminal && !c->o->console_socket &&
        (!c->is_run || c->o->detach))
        return vse_fail(err, EINVAL, "process.terminal: a detached container with a terminal "
                        "needs --console-socket");
    st->rootfs = rootfs_of(st->spec, st->bundle);
    st->owner = vse_strdup("");
    char now[64];
    vse_rfc3339_now(now, sizeof(now));
    st->created = vse_strdup(now);
    if ((ret = vse_mkdir_p(c->rt->root, 0700, err)) < 0)
        return ret;
    st->dir = vse_asprintf("%s/%s", c->rt->root, st->id);
    if (mkdir(st->dir, 0700) < 0) {
        if (errno == EEXIST)
            return vse_fail(err, EEXIST, "container with id exists: %s", st->id);
        return vse_fail_errno(err, "mkdir %s", st->dir);
    }
    c->dir_made = true;
    _cleanup_free_ char *lock = vse_asprintf("%s/lock", st->dir);
    st->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (st->lock_fd < 0 || flock(st->lock_fd, LOCK_EX) < 0)
        return vse_fail_errno(err, "lock %s", lock);
    return 0;
}

static int copy_config(const struct create_ctx *c, struct vse_err *err)
{
    _cleanup_free_ char *dst = vse_asprintf("%s/config.json", c->st->dir);
    return vse_write_file_atomic(dst, c->config_text, c->config_len, 0600, err);
}

/* state.json without a pid, as soon as there is a cgroup to record: `state` reports
 * "creating" while we hold the lock, and if we die (kill -9) `delete` still finds the cgroup
 * to remove. The config copy goes first, as every command loads it with the state. */
static int save_early_state(struct create_ctx *c, struct vse_err *err)
{
    int ret = copy_config(c, err);
    return ret < 0 ? ret : container_state_save(c->st, err);
}

/* Step 2: cgroup, early state, namespace fds, the sync socket and exec.fifo. */
static int create_resources(struct create_ctx *c, struct vse_err *err)
{
    const struct spec *s = c->st->spec;
    struct cgroup_opts opts = {
        .id = c->st->id,
        .cgroups_path = s->linux_ ? s->linux_->cgroups_path : NULL,
        .systemd = c->rt->systemd_cgroup,
        .mount_root = c->rt->cgroup_root,
        .log = c->rt->log,
        .devices = s->linux_ ? s->linux_->devices : NULL,
        .n_devices = s->linux_ ? s->linux_->n_devices : 0,
    };
    int ret = cgroup_manager_create(&opts, s->linux_ ? s->linux_->resources : NULL,
                                    &c->st->cgroup, err);
    if (ret < 0 || (ret = save_early_state(c, err)) < 0)
        return ret;
    if ((ret = ns_open_paths(s, c->ns_fds, err)) < 0)
        return ret;
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
        return vse_fail_errno(err, "sync socketpair");
    c->sync_parent = sv[0];
    c->sync_child = sv[1];
    if (c->is_run)
        return 0;
    _cleanup_free_ char *fifo = vse_asprintf("%s/exec.fifo", c->st->dir);
    if (mkfifo(fifo, 0600) < 0)
        return vse_fail_errno(err, "mkfifo %s", fifo);
    /* O_RDWR never blocks; the init inherits it and its read blocks until `start` writes. */
    c->fifo_fd = open(fifo, O_RDWR | O_CLOEXEC);
    if (c->fifo_fd < 0)
        return vse_fail_errno(err, "open %s", fifo);
    return 0;
}

/* Namespaces that the child cannot enter itself are entered by the parent for its children
 * (pid by path, time) and left again right after clone3. */
struct ns_detour {
    int saved_pid, saved_time;
};

static void ns_detour_release(struct ns_detour *d)
{
    if (d->saved_pid >= 0) {
        setns(d->saved_pid, CLONE_NEWPID);
        close(d->saved_pid);
    }
    if (d->saved_time >= 0) {
        setns(d->saved_time, CLONE_NEWTIME);
        close(d->saved_time);
    }
}

static int ns_detour_enter(struct create_ctx *c, struct ns_detour *d, struct vse_err *err)
{
    const struct spec *s = c->st->spec;
    if (c->ns_fds[SPEC_NS_PID] >= 0) {
        d->saved_pid = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
        if (d->saved_pid < 0 || setns(c->ns_fds[SPEC_NS_PID], CLONE_NEWPID) < 0)
            return vse_fail_errno(err, "join pid namespace");
    }
    const struct spec_namespace *time_ns = spec_find_namespace(s, SPEC_NS_TIME);
    if (time_ns == NULL)
        return 0;
    d->saved_time = open("/proc/self/ns/time", O_RDONLY | O_CLOEXEC);
    if (d->saved_time < 0)
        return vse_fail_errno(err, "open /proc/self/ns/time");
    if (c->ns_fds[SPEC_NS_TIME] >= 0) {
        if (setns(c->ns_fds[SPEC_NS_TIME], CLONE_NEWTIME) < 0)
            return vse_fail_errno(err, "join time namespace");
        return 0;
    }
    /* Offsets can only be written before any process is in the namespace. */
    if (unshare(CLONE_NEWTIME) < 0)
        return vse_fail_errno(err, "unshare time namespace");
    return ns_write_time_offsets(0, s->linux_, err);
}

/* Step 3: clone3 the init. Returns in the parent only. */
static int spawn_init(struct create_ctx *c, struct vse_err *err)
{
    const struct spec *s = c->st->spec;
    int cgroup_fd = c->st->cgroup ? cgroup_manager_clone_fd(c->st->cgroup) : -1;
    uint64_t flags = (uint64_t) ns_new_flags(s) & ~(uint64_t) CLONE_NEWTIME;
    bool unshare_cgroupns = false;
    if (cgroup_fd < 0 && (flags & CLONE_NEWCGROUP)) {
        /* The cgroup namespace root must be the container's cgroup: made after attach. */
        flags &= ~(uint64_t) CLONE_NEWCGROUP;
        unshare_cgroupns = true;
    }
    c->seccomp_cache = seccomp_cache_for(c->rt, s);
    struct init_args args = {
        .rt = c->rt, .o = c->o, .spec = s, .id = c->st->id, .bundle = c->st->bundle,
        .rootfs = c->st->rootfs, .created = c->st->created, .sync_fd = c->sync_child,
        .fifo_fd = c->fifo_fd, .lock_fd = c->st->lock_fd, .ns_fds = c->ns_fds,
        .unshare_cgroupns = unshare_cgroupns, .seccomp_cache_fd = c->seccomp_cache,
        .in_user_ns = (flags & CLONE_NEWUSER) != 0,
    };
    pid_t pid;
    {
        struct ns_detour d __attribute__((cleanup(ns_detour_release))) = {-1, -1};
        int ret = ns_detour_enter(c, &d, err);
        if (ret < 0)
            return ret;
        pid = clone3_nondumpable(flags, cgroup_fd, &c->pidfd);
        if (pid < 0)
            return vse_fail_errno(err, "clone3 (flags 0x%llx)", (unsigned long long) flags);
        if (pid == 0)
            init_main(&args);
    }
    c->st->pid = pid;
    vse_closep(&c->sync_child);
    c->sync_child = -1;
    vse_closep(&c->fifo_fd);
    c->fifo_fd = -1;
    vse_closep(&c->seccomp_cache);
    c->seccomp_cache = -1;
    ns_close_fds(c->ns_fds);
    int ret = proc_stat_start_time(pid, &c->st->start_time, NULL);
    if (ret < 0)
        return vse_fail_code(err, ret, "read start time of pid %d", (int) pid);
    return 0;
}

/* The child failed after GO (its ERROR message waits in the sync socket) or died: that is not
 * our error to report; the caller's next read of the socket reports what the child said. */
static bool child_gone(pid_t pid)
{
    siginfo_t si = {0};
    return waitid(P_PID, (id_t) pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == pid;
}

static int child_error_pending(struct vse_err *err)
{
    vse_err_clear(err);
    return 0;
}

/* Puts the process into the container's cgroup (unless clone3 already did) and tells it so.
 * On v1 the first migration waits for an RCU grace period (milliseconds on this kind of VM):
 * it is done after GO, so the child's mounts overlap with it; the child waits for
 * SYNC_CGROUP only where membership matters (cgroup namespace, cgroup mounts, exec). */
int attach_and_signal_cgroup(struct cgroup_manager *cg, pid_t pid, int sync_fd,
                             struct vse_err *err)
{
    int ret;
    if (cg && cgroup_manager_clone_fd(cg) < 0 && (ret = cgroup_manager_attach(cg, pid, err)) < 0)
        return child_gone(pid) ? child_error_pending(err) : ret;
    ret = sync_send(sync_fd, SYNC_CGROUP, 0, NULL, -1);
    if (ret == -EPIPE || ret == -ECONNRESET)
        return child_error_pending(err);
    return ret < 0 ? vse_fail_code(err, ret, "send CGROUP to pid %d", (int) pid) : 0;
}

/* Step 4: id maps, GO, then the cgroup. */
static int configure_init(struct create_ctx *c, struct vse_err *err)
{
    const struct spec *s = c->st->spec;
    const struct spec_namespace *user = spec_find_namespace(s, SPEC_NS_USER);
    int ret;
    if (user && user->path == NULL &&
        (ret = ns_write_id_mappings(c->st->pid, s->linux_, err)) < 0)
        return ret;
    ret = sync_send(c->sync_parent, SYNC_GO, c->st->pid, NULL, -1);
    if (ret < 0)
        return vse_fail_code(err, ret, "send GO to the container init");
    return attach_and_signal_cgroup(c->st->cgroup, c->st->pid, c->sync_parent, err);
}

static int run_parent_hooks(struct create_ctx *c, struct vse_err *err)
{
    const struct spec_hooks *h = &c->st->spec->hooks;
    _cleanup_free_ char *state = state_json_for(c->st, CONTAINER_CREATING);
    int ret = hooks_run(&h->prestart, "prestart", state, err);
    if (ret < 0 || (ret = hooks_run(&h->create_runtime, "createRuntime", state, err)) < 0)
        return ret;
    ret = sync_send(c->sync_parent, SYNC_HOOKS_DONE, 0, NULL, -1);
    return ret < 0 ? vse_fail_code(err, ret, "send HOOKS_DONE") : 0;
}

/* Serves the init's requests until it reports READY (or an error). */
static int await_ready(struct create_ctx *c, struct vse_err *err)
{
    for (;;) {
        struct sync_msg m;
        int fd = -1;
        int ret = sync_recv_setup(c->sync_parent, &m, &fd, err);
        if (ret == -EPIPE)
            return vse_fail(err, EPIPE, "container init exited during setup");
        if (ret < 0)
            return ret;
        switch (m.type) {
        case SYNC_READY:
            return 0;
        case SYNC_HOOKS:
            ret = run_parent_hooks(c, err);
            break;
        case SYNC_PTY:
            ret = take_pty_master(c->o->console_socket, fd, &c->master, err);
            break;
        default:
            ret = vse_fail(err, EPROTO, "sync: unexpected message %u", m.type);
        }
        if (ret < 0)
            return ret;
    }
}

/* Step 6: state.json with the init's pid, the pid file. */
static int commit(struct create_ctx *c, struct vse_err *err)
{
    int ret = container_state_save(c->st, err);
    if (ret < 0)
        return ret;
    if (c->o->pid_file && (ret = write_pid_file(c->o->pid_file, c->st->pid, err)) < 0)
        return ret;
    return 0;
}

static int create_container(struct create_ctx *c, struct vse_err *err)
{
    int ret;
    if ((ret = create_state_dir(c, err)) < 0 || (ret = create_resources(c, err)) < 0 ||
        (ret = spawn_init(c, err)) < 0 || (ret = configure_init(c, err)) < 0 ||
        (ret = await_ready(c, err)) < 0 || (ret = commit(c, err)) < 0)
        return ret;
    return 0;
}

static void create_ctx_init(struct create_ctx *c, const struct vse_runtime *rt,
                            const struct runtime_create_opts *o, bool is_run)
{
    *c = (struct create_ctx){.rt = rt, .o = o, .is_run = is_run, .sync_parent = -1,
                             .sync_child = -1, .fifo_fd = -1, .pidfd = -1, .master = -1,
                             .seccomp_cache = -1};
    for (int t = 0; t < SPEC_NS_COUNT; t++)
        c->ns_fds[t] = -1;
}

int runtime_create(const struct vse_runtime *rt, const struct runtime_create_opts *o,
                   struct vse_err *err)
{
    _cleanup_create_ctx_ struct create_ctx c;
    create_ctx_init(&c, rt, o, false);
    int ret = create_container(&c, err);
    if (ret < 0)
        return ret;
    c.committed = true;
    return 0;
}

/* Re-takes the lock after a foreground run and removes the container, unless someone deleted
 * it meanwhile: delete removes the lock file with the directory, so a lock file without links
 * is a container that is gone (and a new one with the same id has a lock file of its own). */
static int finish_run(struct create_ctx *c, struct vse_err *err)
{
    if (c->o->keep)
        return 0;
    int lock = c->st->lock_fd;
    while (flock(lock, LOCK_EX) < 0)
        if (errno != EINTR)
            return vse_fail_errno(err, "lock %s/lock", c->st->dir);
    struct stat sb;
    if (fstat(lock, &sb) < 0)
        return vse_fail_errno(err, "stat %s/lock", c->st->dir);
    if (sb.st_nlink == 0)
        return 0;
    return container_destroy(c->rt, c->st, err);
}

static int start_and_wait(struct create_ctx *c, int sigfd, int *exit_status,
                          struct vse_err *err)
{
    int ret = sync_send(c->sync_parent, SYNC_START, 0, NULL, -1);
    if (ret < 0)
        return vse_fail_code(err, ret, "send START to the container init");
    if (c->st->spec->hooks.poststart.n > 0) {
        _cleanup_free_ char *state = state_json_for(c->st, CONTAINER_RUNNING);
        hooks_run_warn(&c->st->spec->hooks.poststart, "poststart", state, c->rt->log);
    }
    if (c->o->detach)
        return 0;
    /* The lock would block every other command on this container while it runs; the fd stays
     * to take it again afterwards. */
    if (flock(c->st->lock_fd, LOCK_UN) < 0)
        return vse_fail_errno(err, "unlock %s/lock", c->st->dir);
    ret = wait_forward(c->pidfd, sigfd, c->master, c->sync_parent, exit_status, err);
    if (ret < 0)
        return ret;
    return finish_run(c, err);
}

int runtime_run(const struct vse_runtime *rt, const struct runtime_create_opts *o,
                int *exit_status, struct vse_err *err)
{
    *exit_status = 0;
    sigset_t old;
    _cleanup_close_ int sigfd = -1;
    if (!o->detach && (sigfd = forward_signals_setup(&old, err)) < 0)
        return sigfd;
    int ret;
    {
        _cleanup_create_ctx_ struct create_ctx c;
        create_ctx_init(&c, rt, o, true);
        ret = create_container(&c, err);
        if (ret == 0) {
            c.committed = true;
            ret = start_and_wait(&c, sigfd, exit_status, err);
        }
        /* Started but failed: do not leave a half-run container behind. */
        if (ret < 0)
            c.committed = false;
    }
    if (!o->detach)
        sigprocmask(SIG_SETMASK, &old, NULL);
    return ret;
}
