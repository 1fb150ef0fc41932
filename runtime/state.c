/* The on-disk state of one container (<root>/<id>/state.json + config.json + lock) and the
 * status derived from the live init process. */
#include "runtime/state.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "json/json.h"
#include "runtime/internal.h"

int proc_stat_start_time(pid_t pid, unsigned long long *start, char *state)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int) pid);
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    char buf[1024];
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    if (n <= 0)
        return n < 0 ? -errno : -ESRCH;
    buf[n] = '\0';
    /* comm (field 2) may hold spaces and parentheses: fields restart after the last ')'. */
    char *p = strrchr(buf, ')');
    if (p == NULL || p[1] != ' ')
        return -EINVAL;
    p += 2;
    if (state)
        *state = *p;
    /* p is at field 3; skip to field 22. */
    for (int field = 3; field < 22; field++) {
        p = strchr(p, ' ');
        if (p == NULL)
            return -EINVAL;
        p++;
    }
    char *end = NULL;
    *start = strtoull(p, &end, 10);
    return end == p ? -EINVAL : 0;
}

void container_state_free(struct container_state *st)
{
    if (st == NULL)
        return;
    free(st->id);
    free(st->dir);
    free(st->bundle);
    free(st->rootfs);
    free(st->created);
    free(st->owner);
    spec_free(st->spec);
    cgroup_manager_free(st->cgroup);
    if (st->lock_fd >= 0)
        close(st->lock_fd); /* drops the flock */
    free(st);
}

static int lock_state_dir(struct container_state *st, struct vse_err *err)
{
    _cleanup_free_ char *path = vse_asprintf("%s/lock", st->dir);
    st->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (st->lock_fd < 0) {
        if (errno == ENOENT)
            return vse_fail(err, ENOENT, "container does not exist");
        return vse_fail_errno(err, "open %s", path);
    }
    while (flock(st->lock_fd, LOCK_EX) < 0)
        if (errno != EINTR)
            return vse_fail_errno(err, "flock %s", path);
    return 0;
}

static char *dup_json_string(const json_node *root, const char *key)
{
    const char *s = json_string(json_get(root, key));
    return vse_strdup(s ? s : "");
}

static int parse_state_json(struct container_state *st, const json_node *root,
                            const struct vse_runtime *rt, struct vse_err *err)
{
    int64_t pid = 0;
    uint64_t start = 0;
    if (json_int64(json_get(root, "pid"), &pid) < 0 ||
        json_uint64(json_get(root, "start_time"), &start) < 0)
        return vse_fail(err, EINVAL, "%s/state.json: pid/start_time missing", st->dir);
    st->pid = (pid_t) pid;
    st->start_time = start;
    st->bundle = dup_json_string(root, "bundle");
    st->rootfs = dup_json_string(root, "rootfs");
    st->created = dup_json_string(root, "created");
    st->owner = dup_json_string(root, "owner");

    const json_node *cg = json_get(root, "cgroup");
    if (cg == NULL || json_type_of(cg) == JSON_NULL)
        return 0;
    struct cgroup_opts opts = {
        .id = st->id,
        .cgroups_path = st->spec && st->spec->linux_ ? st->spec->linux_->cgroups_path : NULL,
        .systemd = rt->systemd_cgroup,
        .mount_root = rt->cgroup_root,
        .log = rt->log,
    };
    int ret = cgroup_manager_from_json(cg, &opts, &st->cgroup, err);
    if (ret < 0)
        return vse_err_prefix(err, "%s/state.json: cgroup", st->dir);
    return 0;
}

int container_state_load(const struct vse_runtime *rt, const char *id, bool lock,
                         struct container_state **out, struct vse_err *err)
{
    int ret = runtime_validate_id(id, err);
    if (ret < 0)
        return ret;
    struct container_state *st __attribute__((cleanup(container_state_freep))) =
        vse_zalloc(sizeof(*st));
    st->lock_fd = -1;
    st->id = vse_strdup(id);
    st->dir = vse_asprintf("%s/%s", rt->root, id);
    if (lock && (ret = lock_state_dir(st, err)) < 0)
        return ret;

    _cleanup_free_ char *path = vse_asprintf("%s/state.json", st->dir);
    _cleanup_free_ char *text = NULL;
    struct vse_err ignored = {0};
    if (vse_read_file_at(AT_FDCWD, path, &text, NULL, &ignored) < 0) {
        if (ignored.code == ENOENT || ignored.code == ENOTDIR)
            return vse_fail(err, ENOENT, "container does not exist");
        return vse_fail_code(err, ignored.code, "read %s", path);
    }
    _cleanup_json_ json_node *root = NULL;
    if ((ret = json_parse(text, &root, err)) < 0)
        return vse_err_prefix(err, "%s", path);
    if ((ret = spec_load_bundle(st->dir, &st->spec, err)) < 0)
        return ret;
    if ((ret = parse_state_json(st, root, rt, err)) < 0)
        return ret;
    *out = steal_ptr(st);
    return 0;
}

int container_state_save(const struct container_state *st, struct vse_err *err)
{
    _cleanup_json_writer_ json_writer *w = json_writer_new(false);
    json_w_object_begin(w);
    json_w_kv_string(w, "id", st->id);
    json_w_kv_int(w, "pid", st->pid);
    json_w_key(w, "start_time");
    json_w_uint(w, st->start_time);
    json_w_kv_string(w, "bundle", st->bundle);
    json_w_kv_string(w, "rootfs", st->rootfs);
    json_w_kv_string(w, "created", st->created);
    json_w_kv_string(w, "owner", st->owner ? st->owner : "");
    json_w_key(w, "cgroup");
    if (st->cgroup)
        cgroup_manager_to_json(st->cgroup, w);
    else
        json_w_null(w);
    json_w_object_end(w);
    size_t len = 0;
    const char *text = json_writer_text(w, &len);
    _cleanup_free_ char *path = vse_asprintf("%s/state.json", st->dir);
    return vse_write_file_atomic(path, text, len, 0600, err);
}

/* True when the init recorded in st is still the same live (non-zombie) process. */
static bool init_alive(const struct container_state *st)
{
    if (st->pid <= 0)
        return false;
    unsigned long long start = 0;
    char state = 0;
    if (proc_stat_start_time(st->pid, &start, &state) < 0)
        return false;
    return start == st->start_time && state != 'Z' && state != 'X';
}

/* state.json has no pid until create commits: the container is being created while its
 * creator holds the lock, and is a dead creator's leftover (stopped, for delete) otherwise. */
static enum container_status status_without_pid(const struct container_state *st)
{
    if (st->lock_fd >= 0) /* we hold the lock ourselves, so no creator does */
        return CONTAINER_STOPPED;
    _cleanup_free_ char *path = vse_asprintf("%s/lock", st->dir);
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0 && flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK)
        return CONTAINER_CREATING;
    return CONTAINER_STOPPED;
}

enum container_status container_state_status(const struct container_state *st)
{
    if (st->pid <= 0)
        return status_without_pid(st);
    if (!init_alive(st))
        return CONTAINER_STOPPED;
    return container_state_live_status(st);
}

enum container_status container_state_live_status(const struct container_state *st)
{
    _cleanup_free_ char *fifo = vse_asprintf("%s/exec.fifo", st->dir);
    if (access(fifo, F_OK) == 0)
        return CONTAINER_CREATED;
    bool frozen = false;
    struct vse_err ignored = {0};
    if (st->cgroup && cgroup_manager_is_frozen(st->cgroup, &frozen, &ignored) == 0 && frozen)
        return CONTAINER_PAUSED;
    return CONTAINER_RUNNING;
}

int container_state_pidfd(const struct container_state *st, struct vse_err *err)
{
    if (st->pid <= 0)
        return vse_fail(err, ESRCH, "container %s is not running", st->id);
    _cleanup_close_ int fd = pidfd_open(st->pid, 0);
    if (fd < 0) {
        if (errno == ESRCH)
            return vse_fail(err, ESRCH, "container %s is not running", st->id);
        return vse_fail_errno(err, "pidfd_open %d", (int) st->pid);
    }
    /* Checked after the pidfd exists: a match now means the fd is our init, not a reuse. */
    if (!init_alive(st))
        return vse_fail(err, ESRCH, "container %s is not running", st->id);
    return steal_fd(&fd);
}
