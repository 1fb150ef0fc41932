/* The commands that work on an existing container from its state: state, list, kill, start,
 * delete; plus id validation, signal names and the state JSON. */
#include "runtime/internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "json/json.h"
#include "security/security.h"

/* How long delete waits for a SIGKILLed init to go away. */
#define KILL_WAIT_MS 10000

int runtime_validate_id(const char *id, struct vse_err *err)
{
    if (id == NULL || *id == '\0')
        return vse_fail(err, EINVAL, "container id cannot be empty");
    if (strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
        return vse_fail(err, EINVAL, "invalid container id: %s", id);
    /* runc's rule: ^[\w+\-.]+$ */
    for (const char *p = id; *p; p++) {
        char c = *p;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '+' || c == '-' || c == '.';
        if (!ok)
            return vse_fail(err, EINVAL, "invalid container id format: %s", id);
    }
    if (strlen(id) > 1024)
        return vse_fail(err, EINVAL, "container id too long: %s", id);
    return 0;
}

const char *container_status_name(enum container_status s)
{
    switch (s) {
    case CONTAINER_CREATING:
        return "creating";
    case CONTAINER_CREATED:
        return "created";
    case CONTAINER_RUNNING:
        return "running";
    case CONTAINER_PAUSED:
        return "paused";
    case CONTAINER_STOPPED:
        break;
    }
    return "stopped";
}

void container_info_free(struct container_info *ci)
{
    if (ci == NULL)
        return;
    free(ci->id);
    free(ci->bundle);
    free(ci->rootfs);
    free(ci->created);
    free(ci->owner);
    for (size_t i = 0; i < ci->n_annotations; i++) {
        free(ci->annotations[i].key);
        free(ci->annotations[i].value);
    }
    free(ci->annotations);
    memset(ci, 0, sizeof(*ci));
}

void container_info_list_free(struct container_info *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        container_info_free(&list[i]);
    free(list);
}

static void info_from_state(const struct container_state *st, enum container_status status,
                            struct container_info *ci)
{
    ci->id = vse_strdup(st->id);
    ci->status = status;
    ci->pid = status == CONTAINER_STOPPED ? 0 : st->pid;
    ci->bundle = vse_strdup(st->bundle);
    ci->rootfs = vse_strdup(st->rootfs);
    ci->created = vse_strdup(st->created);
    ci->owner = vse_strdup(st->owner ? st->owner : "");
    size_t n = st->spec ? st->spec->n_annotations : 0;
    ci->annotations = n ? vse_zalloc(n * sizeof(*ci->annotations)) : NULL;
    for (size_t i = 0; i < n; i++) {
        ci->annotations[i].key = vse_strdup(st->spec->annotations[i].key);
        ci->annotations[i].value = vse_strdup(st->spec->annotations[i].value);
    }
    ci->n_annotations = n;
}

char *runtime_state_json(const struct container_info *ci)
{
    _cleanup_json_writer_ json_writer *w = json_writer_new(true);
    json_w_object_begin(w);
    json_w_kv_string(w, "ociVersion", VSE_OCI_VERSION);
    json_w_kv_string(w, "id", ci->id);
    json_w_kv_int(w, "pid", ci->pid);
    json_w_kv_string(w, "status", container_status_name(ci->status));
    json_w_kv_string(w, "bundle", ci->bundle);
    json_w_kv_string(w, "rootfs", ci->rootfs);
    json_w_kv_string(w, "created", ci->created);
    json_w_kv_string(w, "owner", ci->owner ? ci->owner : "");
    if (ci->n_annotations > 0) { /* runc omits an empty map */
        json_w_key(w, "annotations");
        json_w_object_begin(w);
        for (size_t i = 0; i < ci->n_annotations; i++)
            json_w_kv_string(w, ci->annotations[i].key, ci->annotations[i].value);
        json_w_object_end(w);
    }
    json_w_object_end(w);
    return vse_strdup(json_writer_text(w, NULL));
}

char *state_json_for(const struct container_state *st, enum container_status status)
{
    struct container_info ci = {0};
    info_from_state(st, status, &ci);
    if (status != CONTAINER_STOPPED)
        ci.pid = st->pid;
    char *json = runtime_state_json(&ci);
    container_info_free(&ci);
    return json;
}

int runtime_state(const struct vse_runtime *rt, const char *id, struct container_info *out,
                  struct vse_err *err)
{
    _cleanup_container_state_ struct container_state *st = NULL;
    int ret = container_state_load(rt, id, false, &st, err);
    if (ret < 0)
        return ret;
    info_from_state(st, container_state_status(st), out);
    return 0;
}

static char *owner_of(const char *dir)
{
    struct stat sb;
    if (stat(dir, &sb) < 0)
        return vse_strdup("");
    char buf[1024];
    struct passwd pw, *res = NULL;
    if (getpwuid_r(sb.st_uid, &pw, buf, sizeof(buf), &res) == 0 && res)
        return vse_strdup(res->pw_name);
    return vse_asprintf("#%u", (unsigned) sb.st_uid);
}

int runtime_list(const struct vse_runtime *rt, struct container_info **out, size_t *n,
                 struct vse_err *err)
{
    *out = NULL;
    *n = 0;
    _cleanup_closedir_ DIR *d = opendir(rt->root);
    if (d == NULL)
        return errno == ENOENT ? 0 : vse_fail_errno(err, "open %s", rt->root);
    struct container_info *list = NULL;
    size_t count = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        /* Directories still being created, or half-removed, have no usable state: skip. */
        struct vse_err ignored = {0};
        _cleanup_container_state_ struct container_state *st = NULL;
        if (container_state_load(rt, de->d_name, false, &st, &ignored) < 0)
            continue;
        list = vse_reallocarray(list, count + 1, sizeof(*list));
        memset(&list[count], 0, sizeof(*list));
        info_from_state(st, container_state_status(st), &list[count]);
        if (list[count].owner[0] == '\0') {
            free(list[count].owner);
            list[count].owner = owner_of(st->dir);
        }
        count++;
    }
    *out = list;
    *n = count;
    return 0;
}

static int signal_by_name(const char *name)
{
    if (vse_str_has_prefix(name, "SIG"))
        name += 3;
    for (int sig = 1; sig < SIGRTMIN; sig++) {
        const char *abbrev = sigabbrev_np(sig);
        if (abbrev && strcasecmp(abbrev, name) == 0)
            return sig;
    }
    int64_t off = 0;
    if (strcasecmp(name, "RTMIN") == 0)
        return SIGRTMIN;
    if (strcasecmp(name, "RTMAX") == 0)
        return SIGRTMAX;
    if (strncasecmp(name, "RTMIN+", 6) == 0 && vse_parse_int64(name + 6, &off) == 0 &&
        off >= 0 && SIGRTMIN + off <= SIGRTMAX)
        return SIGRTMIN + (int) off;
    if (strncasecmp(name, "RTMAX-", 6) == 0 && vse_parse_int64(name + 6, &off) == 0 &&
        off >= 0 && SIGRTMAX - off >= SIGRTMIN)
        return SIGRTMAX - (int) off;
    return -1;
}

int runtime_parse_signal(const char *s, int *sig, struct vse_err *err)
{
    int64_t num = 0;
    if (s && vse_parse_int64(s, &num) == 0) {
        if (num <= 0 || num > SIGRTMAX)
            return vse_fail(err, EINVAL, "invalid signal number: %s", s);
        *sig = (int) num;
        return 0;
    }
    int found = s ? signal_by_name(s) : -1;
    if (found < 0)
        return vse_fail(err, EINVAL, "unknown signal \"%s\"", s ? s : "");
    *sig = found;
    return 0;
}

int runtime_kill(const struct vse_runtime *rt, const char *id, int sig, bool all,
                 struct vse_err *err)
{
    _cleanup_container_state_ struct container_state *st = NULL;
    int ret = container_state_load(rt, id, false, &st, err);
    if (ret < 0)
        return ret;
    if (all) {
        if (st->cgroup == NULL)
            return vse_fail(err, ENOTSUP, "kill --all: container %s has no cgroup", id);
        return cgroup_manager_kill_all(st->cgroup, sig, err);
    }
    _cleanup_close_ int pidfd = container_state_pidfd(st, err);
    if (pidfd < 0) {
        if (pidfd == -ESRCH)
            return vse_fail(err, ESRCH, "container not running");
        return pidfd;
    }
    if (pidfd_send_signal(pidfd, sig, NULL, 0) < 0)
        return vse_fail_errno(err, "kill container %s with signal %d", id, sig);
    return 0;
}

int runtime_start(const struct vse_runtime *rt, const char *id, struct vse_err *err)
{
    _cleanup_container_state_ struct container_state *st = NULL;
    int ret = container_state_load(rt, id, true, &st, err);
    if (ret < 0)
        return ret;
    enum container_status status = container_state_status(st);
    if (status == CONTAINER_STOPPED)
        return vse_fail(err, EINVAL, "cannot start a container that has stopped");
    if (status != CONTAINER_CREATED)
        return vse_fail(err, EINVAL, "cannot start an already %s container",
                        container_status_name(status));
    _cleanup_free_ char *fifo = vse_asprintf("%s/exec.fifo", st->dir);
    /* Non-blocking: ENXIO means no reader, i.e. the init is gone. */
    _cleanup_close_ int fd = open(fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENXIO)
            return vse_fail(err, ESRCH, "cannot start container %s: init process is gone", id);
        return vse_fail_errno(err, "open %s", fifo);
    }
    if (write(fd, "0", 1) != 1)
        return vse_fail_errno(err, "write %s", fifo);
    if (unlink(fifo) < 0)
        return vse_fail_errno(err, "unlink %s", fifo);
    if (st->spec->hooks.poststart.n > 0) {
        _cleanup_free_ char *state = state_json_for(st, CONTAINER_RUNNING);
        hooks_run_warn(&st->spec->hooks.poststart, "poststart", state, rt->log);
    }
    return 0;
}

/* Sends SIGKILL (to every process of the cgroup too, for inits without a pid namespace) and
 * waits until the init is gone. */
static int kill_and_wait(struct container_state *st, enum container_status status,
                         struct vse_err *err)
{
    _cleanup_close_ int pidfd = container_state_pidfd(st, err);
    if (pidfd == -ESRCH) {
        vse_err_clear(err);
        return 0;
    }
    if (pidfd < 0)
        return pidfd;
    struct vse_err ignored = {0};
    if (status == CONTAINER_PAUSED && st->cgroup) /* frozen tasks do not die until thawed */
        cgroup_manager_freeze(st->cgroup, false, &ignored);
    if (pidfd_send_signal(pidfd, SIGKILL, NULL, 0) < 0 && errno != ESRCH)
        return vse_fail_errno(err, "kill container %s", st->id);
    if (st->cgroup)
        cgroup_manager_kill_all(st->cgroup, SIGKILL, &ignored);
    struct pollfd p = {.fd = pidfd, .events = POLLIN};
    int n;
    do
        n = poll(&p, 1, KILL_WAIT_MS);
    while (n < 0 && errno == EINTR);
    if (n == 0)
        return vse_fail(err, ETIMEDOUT, "container %s init (pid %d) did not die after SIGKILL",
                        st->id, (int) st->pid);
    return 0;
}

/* Removes what a container owns on the host: poststop hooks, cgroups, the state directory. */
int container_destroy(const struct vse_runtime *rt, struct container_state *st,
                      struct vse_err *err)
{
    if (st->spec && st->spec->hooks.poststop.n > 0) {
        _cleanup_free_ char *state = state_json_for(st, CONTAINER_STOPPED);
        hooks_run_warn(&st->spec->hooks.poststop, "poststop", state, rt->log);
    }
    if (st->cgroup) {
        int ret = cgroup_manager_destroy(st->cgroup, true, err);
        if (ret < 0)
            return vse_err_prefix(err, "delete %s: cgroup", st->id);
    }
    return vse_rm_rf(st->dir, err);
}

/* A state directory without state.json is what a create killed before its first state write
 * leaves (it holds no cgroup yet: the early state is written right after the cgroup is made).
 * runc removes such a directory on delete; so do we, under its lock, and only while the lock
 * file is still linked and state.json still absent, so a directory a new create of the same id
 * made meanwhile is left alone. The "does not exist" error stays for the caller. */
static void remove_stateless_dir(const struct vse_runtime *rt, const char *id)
{
    _cleanup_free_ char *dir = vse_asprintf("%s/%s", rt->root, id);
    _cleanup_free_ char *lock = vse_asprintf("%s/lock", dir);
    _cleanup_free_ char *state = vse_asprintf("%s/state.json", dir);
    _cleanup_close_ int fd = open(lock, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return;
    while (flock(fd, LOCK_EX) < 0)
        if (errno != EINTR)
            return;
    struct stat sb;
    if (fstat(fd, &sb) < 0 || sb.st_nlink == 0 || lstat(state, &sb) == 0 || errno != ENOENT)
        return;
    struct vse_err ignored = {0};
    vse_rm_rf(dir, &ignored);
}

int runtime_delete(const struct vse_runtime *rt, const char *id, bool force,
                   struct vse_err *err)
{
    _cleanup_container_state_ struct container_state *st = NULL;
    int ret = container_state_load(rt, id, true, &st, err);
    if (ret == -ENOENT)
        remove_stateless_dir(rt, id);
    if (ret < 0)
        return ret;
    enum container_status status = container_state_status(st);
    /* A created container never ran user code: runc deletes it without --force. */
    if (status != CONTAINER_STOPPED && status != CONTAINER_CREATED && !force)
        return vse_fail(err, EBUSY, "cannot delete container %s that is not stopped: %s", id,
                        container_status_name(status));
    if (status != CONTAINER_STOPPED && (ret = kill_and_wait(st, status, err)) < 0)
        return ret;
    return container_destroy(rt, st, err);
}

int runtime_protect_binary(char **argv, char **envp, struct vse_err *err)
{
    return security_protect_self_exe(argv, envp, err);
}

bool runtime_command_needs_protection(const char *command)
{
    return command != NULL && (strcmp(command, "create") == 0 || strcmp(command, "run") == 0 ||
                               strcmp(command, "exec") == 0);
}
