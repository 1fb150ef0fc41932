/* fs.c: the cgroupfs driver: one code path for v1, hybrid and v2 hosts. Creation, attach,
 * the state-file form and destruction live here; resources, freezing and stats in their own
 * files. */
#include "cgroups/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"

static void sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* The directory `levels` components above path (0: path itself). */
static char *ancestor(const char *path, int levels)
{
    char *p = vse_strdup(path);
    for (int i = 0; i < levels; i++) {
        char *slash = strrchr(p, '/');
        if (slash == NULL || slash == p)
            break;
        *slash = '\0';
    }
    return p;
}

/* ---- creation ---- */

/* v1 cpuset: a new cgroup starts with empty cpus/mems, which forbids joining it. */
static int cpuset_inherit(const char *dir, struct vse_err *err)
{
    static const char *const files[] = {"cpuset.cpus", "cpuset.mems"};
    _cleanup_free_ char *parent = ancestor(dir, 1);
    for (size_t i = 0; i < VSE_ARRAY_SIZE(files); i++) {
        _cleanup_free_ char *mine = vse_asprintf("%s/%s", dir, files[i]);
        _cleanup_free_ char *cur = NULL;
        if (vse_read_file_at(AT_FDCWD, mine, &cur, NULL, err) < 0)
            return vse_err_prefix(err, "linux.resources.cpu");
        if (strspn(cur, " \n") != strlen(cur))
            continue;
        _cleanup_free_ char *theirs = vse_asprintf("%s/%s", parent, files[i]);
        _cleanup_free_ char *val = NULL;
        if (vse_read_file_at(AT_FDCWD, theirs, &val, NULL, err) < 0)
            return vse_err_prefix(err, "linux.resources.cpu");
        if (vse_write_file_at(AT_FDCWD, mine, val, strlen(val), err) < 0)
            return vse_err_prefix(err, "linux.resources.cpu");
    }
    return 0;
}

/* v2: lets the children of dir use every controller dir itself has. Only called on
 * directories vse owns; a controller the host's own parent does not pass down stays off. */
static void enable_subtree(const struct cgroup_manager *m, const char *dir)
{
    _cleanup_free_ char *cpath = vse_asprintf("%s/cgroup.controllers", dir);
    _cleanup_free_ char *avail = NULL;
    struct vse_err ignored = {0};
    if (vse_read_file_at(AT_FDCWD, cpath, &avail, NULL, &ignored) < 0)
        return;
    _cleanup_free_ char *spath = vse_asprintf("%s/cgroup.subtree_control", dir);
    char *save = NULL;
    for (char *tok = strtok_r(avail, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save)) {
        _cleanup_free_ char *cmd = vse_asprintf("+%s", tok);
        if (vse_write_file_at(AT_FDCWD, spath, cmd, strlen(cmd), &ignored) < 0)
            vse_log(m->log, VSE_LOG_WARN, "cgroups: %s", ignored.msg);
    }
}

static int mkdir_one(const char *dir, bool *made, struct vse_err *err)
{
    *made = false;
    if (mkdir(dir, 0755) == 0) {
        *made = true;
        return 0;
    }
    if (errno == EEXIST)
        return 0;
    return vse_fail_errno(err, "cgroups: mkdir %s", dir);
}

static int count_levels(const char *rel)
{
    int total = 1;
    for (const char *p = rel; *p; p++)
        total += *p == '/';
    return total;
}

/* v1 cpuset: with cgroup.clone_children set in a directory vse owns, the kernel copies
 * cpus/mems into each new child itself, so a container's leaf needs no read-parent-and-write
 * (six file operations) and no cpuset update on every start. */
static void cpuset_clone_children(const char *dir)
{
    _cleanup_free_ char *p = vse_asprintf("%s/cgroup.clone_children", dir);
    struct vse_err ignored = {0};
    vse_write_file_at(AT_FDCWD, p, "1", 1, &ignored);
}

/* mkdir of the directory `level` components above the leaf, and what a new one needs. */
static int make_level(const struct cgroup_manager *m, const struct cg_mount *mnt,
                      struct cg_hier *h, int level, struct vse_err *err)
{
    _cleanup_free_ char *dir = ancestor(h->path, level);
    bool made = false;
    int ret = mkdir_one(dir, &made, err);
    if (ret < 0)
        return ret;
    if (made && level == 0)
        h->leaf_made = true;
    /* Directories made for an absolute path are ours to remove too. */
    if (made && level >= h->removable)
        h->removable = level + 1;
    bool owned = level < h->removable;
    if (made && (mnt->ctrls & CG_BIT(CG_CPUSET)) && !mnt->v2) {
        ret = cpuset_inherit(dir, err);
        if (ret == 0 && owned && level > 0)
            cpuset_clone_children(dir);
    }
    if (mnt->v2 && owned && level > 0)
        enable_subtree(m, dir);
    return ret;
}

/* Creates <mount>/<rel>. On v1 the parents usually exist (the shared "vse" is kept once
 * made), so the leaf is tried first; ENOENT walks down from the top, one component at a
 * time. v2 always walks: each owned parent's cgroup.subtree_control is (re)checked. The
 * vse-owned parents may vanish under us (another vse removing an empty pod directory):
 * ENOENT restarts the walk a few times. */
static int make_hier_dirs(const struct cgroup_manager *m, const struct cg_mount *mnt,
                          struct cg_hier *h, struct vse_err *err)
{
    int ret = -ENOENT;
    if (!mnt->v2 && (ret = make_level(m, mnt, h, 0, err)) != -ENOENT)
        return ret;
    int total = count_levels(m->rel);
    for (int attempt = 0;; attempt++) {
        ret = 0;
        for (int level = total - 1; level >= 0 && ret == 0; level--)
            ret = make_level(m, mnt, h, level, err);
        if (ret != -ENOENT || attempt >= 5)
            return ret;
    }
}

static unsigned leaf_v2_controllers(const char *dir, unsigned fallback)
{
    _cleanup_free_ char *cpath = vse_asprintf("%s/cgroup.controllers", dir);
    _cleanup_free_ char *avail = NULL;
    struct vse_err ignored = {0};
    if (vse_read_file_at(AT_FDCWD, cpath, &avail, NULL, &ignored) < 0)
        return fallback;
    unsigned bits = 0;
    char *save = NULL;
    for (char *tok = strtok_r(avail, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save)) {
        int c = cg_controller_from_name(tok);
        if (c >= 0)
            bits |= CG_BIT(c);
    }
    return bits;
}

static void add_hier(struct cgroup_manager *m, const struct cg_mount *mnt, int removable)
{
    m->h = vse_reallocarray(m->h, m->n + 1, sizeof(*m->h));
    m->h[m->n++] = (struct cg_hier){
        .name = vse_strdup(mnt->name),
        .path = vse_asprintf("%s/%s", mnt->dir, m->rel),
        .ctrls = mnt->ctrls,
        .v2 = mnt->v2,
        .removable = removable,
    };
}

/* The caller's own cgroup in a hierarchy: the container must never land in (or be) it.
 * self_cgroup is the text of /proc/self/cgroup, read once per create. */
static bool is_callers_cgroup(const char *self_cgroup, const struct cg_mount *mnt,
                              const char *rel)
{
    for (const char *line = self_cgroup; line && *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t) (end - line) : strlen(line);
        _cleanup_free_ char *copy = vse_strndup(line, len);
        line = end ? end + 1 : NULL;
        char *c1 = strchr(copy, ':');
        char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (c2 == NULL)
            continue;
        *c2 = '\0';
        const char *ctrls = c1 + 1, *path = c2 + 1;
        bool match = mnt->v2 ? ctrls[0] == '\0' : strcmp(ctrls, mnt->name) == 0;
        if (match && path[0] == '/' && strcmp(path + 1, rel) == 0)
            return true;
    }
    return false;
}

static int create_dirs(struct cgroup_manager *m, const struct cg_host *host,
                       const struct spec_resources *res, int removable, bool real_root,
                       struct vse_err *err)
{
    _cleanup_free_ char *self_cgroup = NULL;
    struct vse_err ignored = {0};
    if (real_root && vse_read_file_at(AT_FDCWD, "/proc/self/cgroup", &self_cgroup, NULL,
                                      &ignored) < 0)
        self_cgroup = NULL;
    for (size_t i = 0; i < host->n_mounts; i++) {
        const struct cg_mount *mnt = &host->mounts[i];
        if (!cg_hier_wanted(host, mnt, res))
            continue;
        if (real_root && is_callers_cgroup(self_cgroup, mnt, m->rel))
            return vse_fail(err, EINVAL, "linux.cgroupsPath: %s/%s is vse's own cgroup",
                            mnt->dir, m->rel);
        add_hier(m, mnt, removable);
        struct cg_hier *h = &m->h[m->n - 1];
        int ret = make_hier_dirs(m, mnt, h, err);
        if (ret < 0)
            return ret;
        if (h->v2)
            h->ctrls = leaf_v2_controllers(h->path, mnt->ctrls);
    }
    return 0;
}

/* ---- destruction ---- */

static int rmdir_retry(const char *dir, struct vse_err *err)
{
    long delay = 5;
    for (int attempt = 0;; attempt++) {
        if (rmdir(dir) == 0 || errno == ENOENT)
            return 0;
        if (errno != EBUSY || attempt >= 8)
            return vse_fail_errno(err, "cgroups: rmdir %s", dir);
        sleep_ms(delay);
        delay = delay < 200 ? delay * 2 : delay;
    }
}

/* Removes the cgroups the container made inside its own (deepest first), then itself. */
static int rmdir_tree(const char *dir, struct vse_err *err)
{
    {
        _cleanup_closedir_ DIR *d = opendir(dir);
        if (d == NULL)
            return errno == ENOENT ? 0 : vse_fail_errno(err, "cgroups: open %s", dir);
        struct dirent *de;
        while ((de = readdir(d)) != NULL) {
            if (de->d_type != DT_DIR || strcmp(de->d_name, ".") == 0 ||
                strcmp(de->d_name, "..") == 0)
                continue;
            _cleanup_free_ char *child = vse_asprintf("%s/%s", dir, de->d_name);
            int ret = rmdir_tree(child, err);
            if (ret < 0)
                return ret;
        }
    }
    return rmdir_retry(dir, err);
}

/* Parents vse owns go when empty; someone else's cgroup in them (EBUSY, ENOTEMPTY) is fine.
 * The shared top-level "vse" directory stays: every container start would otherwise pay a
 * mkdir and an rmdir in each hierarchy for it (docs/cgroups.md). */
static void rmdir_owned_parents(const struct cg_hier *h, const char *rel)
{
    int top = count_levels(rel) - 1;
    bool shared_top = strncmp(rel, CG_VSE_PARENT "/", sizeof(CG_VSE_PARENT)) == 0;
    for (int level = 1; level < h->removable; level++) {
        if (level == top && shared_top)
            return;
        _cleanup_free_ char *dir = ancestor(h->path, level);
        if (rmdir(dir) < 0 && errno != ENOENT)
            return;
    }
}

static int remove_dirs(struct cgroup_manager *m, struct vse_err *err)
{
    int first = 0;
    for (size_t i = 0; i < m->n; i++) {
        struct vse_err e = {0};
        int ret = rmdir_tree(m->h[i].path, &e);
        if (ret < 0) {
            if (first == 0) {
                first = ret;
                *err = e;
            }
            continue;
        }
        rmdir_owned_parents(&m->h[i], m->rel);
    }
    return first;
}

/* A failed create removes what it made and nothing else: a leaf that existed before (an
 * absolute cgroupsPath someone else made) is left as it was, frozen or not. */
static void remove_made_dirs(struct cgroup_manager *m)
{
    for (size_t i = 0; i < m->n; i++) {
        struct vse_err ignored = {0};
        if (m->h[i].leaf_made && rmdir_tree(m->h[i].path, &ignored) == 0)
            rmdir_owned_parents(&m->h[i], m->rel);
    }
}

/* A cgroup that is already frozen (made and frozen by someone else) would stop the init in
 * the middle of its setup and hang create (crun hangs there); runc refuses it too. */
static int refuse_frozen(struct cgroup_manager *m, struct vse_err *err)
{
    bool frozen = false;
    struct vse_err probe = {0};
    if (cg_fs_is_frozen(m, &frozen, &probe) < 0 || !frozen)
        return 0; /* no freezer to ask: nothing can be frozen */
    return vse_fail(err, EBUSY, "linux.cgroupsPath %s: the container's cgroup is frozen; thaw "
                    "it first", m->rel);
}

static bool cgroup_empty(struct cgroup_manager *m)
{
    _cleanup_free_ pid_t *pids = NULL;
    size_t n = 0;
    struct vse_err ignored = {0};
    if (cg_fs_pids(m, &pids, &n, &ignored) < 0)
        return true;
    return n == 0;
}

static int fs_destroy(struct cgroup_manager *m, bool force, struct vse_err *err)
{
    struct vse_err ignored = {0};
    bool frozen = false;
    if (cg_fs_is_frozen(m, &frozen, &ignored) == 0 && frozen)
        cg_fs_freeze(m, false, &ignored);
if (force) {
        for (int i = 0; i < 100 && !cgroup_empty(m); i++) {
            if (i % 10 == 0)
                cg_fs_kill_all(m, SIGKILL, &ignored);
            sleep_ms(10);
        }
    }
    return remove_dirs(m, err);
}

static int fs_create(struct cgroup_manager *m, const struct spec_resources *res,
                     struct vse_err *err)
{
    struct cg_host host = {0};
    int ret = cg_host_probe(m->mount_root, &host, err);
    if (ret < 0)
        return ret;
    m->mode = host.mode;
    int removable = 0;
    const char *root = m->mount_root;
    _cleanup_free_ char *given = steal_ptr(m->rel);
    ret = cg_compute_rel(m->id, given, &m->rel, &removable, err);
    if (ret == 0)
        ret = create_dirs(m, &host, res, removable, strcmp(root, CG_DEFAULT_ROOT) == 0, err);
    cg_host_clear(&host);
    if (ret == 0)
        ret = refuse_frozen(m, err);
    if (ret == 0 && res)
        ret = host.mode == CGROUP_MODE_V2 ? cg_apply_v2(m, res, false, err)
                                          : cg_apply_v1(m, res, false, err);
    if (ret < 0) {
        remove_made_dirs(m);
        return ret;
    }
    struct cg_hier *v2 = cg_find_v2(m);
    if (m->mode == CGROUP_MODE_V2 && v2)
        m->clone_fd = open(v2->path, O_PATH | O_DIRECTORY | O_CLOEXEC);
    return 0;
}

/* ---- attach ---- */

static int fs_attach(struct cgroup_manager *m, pid_t pid, struct vse_err *err)
{
    char buf[32];
    snprintf(buf, sizeof(buf), "%d", (int) pid);
    for (size_t i = 0; i < m->n; i++) {
        int ret = cg_write(&m->h[i], "cgroups: attach", "cgroup.procs", buf, err);
        if (ret < 0)
            return ret;
    }
    return 0;
}

static int fs_clone_fd(struct cgroup_manager *m)
{
    return m->clone_fd;
}

/* ---- state file ---- */

static const char *mode_name(enum cgroup_mode mode)
{
    switch (mode) {
    case CGROUP_MODE_V1: return "v1";
    case CGROUP_MODE_HYBRID: return "hybrid";
    case CGROUP_MODE_V2: return "v2";
    }
    return "?";
}

static void fs_to_json(const struct cgroup_manager *m, json_writer *w)
{
    json_w_object_begin(w);
    json_w_kv_string(w, "driver", "cgroupfs");
    json_w_kv_string(w, "mode", mode_name(m->mode));
    json_w_kv_string(w, "mountRoot", m->mount_root);
    json_w_kv_string(w, "path", m->rel);
    json_w_key(w, "hierarchies");
    json_w_array_begin(w);
    for (size_t i = 0; i < m->n; i++) {
        const struct cg_hier *h = &m->h[i];
        json_w_object_begin(w);
        json_w_kv_string(w, "name", h->name);
        json_w_kv_string(w, "path", h->path);
        json_w_kv_bool(w, "v2", h->v2);
        json_w_kv_int(w, "controllers", h->ctrls);
        json_w_kv_int(w, "removable", h->removable);
        json_w_object_end(w);
    }
    json_w_array_end(w);
    json_w_object_end(w);
}

static int load_hier(struct cgroup_manager *m, const json_node *n, size_t i,
                     struct vse_err *err)
{
    const char *name = json_string(json_get(n, "name"));
    const char *path = json_string(json_get(n, "path"));
    int64_t ctrls = 0, removable = 0;
    if (name == NULL || path == NULL || path[0] != '/' ||
        json_int64(json_get(n, "controllers"), &ctrls) < 0 ||
        json_int64(json_get(n, "removable"), &removable) < 0)
        return vse_fail(err, EINVAL, "cgroup.hierarchies[%zu]: malformed", i);
    m->h = vse_reallocarray(m->h, m->n + 1, sizeof(*m->h));
    m->h[m->n++] = (struct cg_hier){
        .name = vse_strdup(name),
        .path = vse_strdup(path),
        .ctrls = (unsigned) ctrls,
        .v2 = json_bool(json_get(n, "v2")),
        .removable = (int) removable,
    };
    return 0;
}

static int fs_load(struct cgroup_manager *m, const json_node *n, struct vse_err *err)
{
    const char *mode = json_string(json_get(n, "mode"));
    const char *rel = json_string(json_get(n, "path"));
    const json_node *arr = json_get(n, "hierarchies");
    if (mode == NULL || rel == NULL || json_type_of(arr) != JSON_ARRAY)
        return vse_fail(err, EINVAL, "cgroup: malformed state (mode, path, hierarchies)");
    m->mode = strcmp(mode, "v2") == 0       ? CGROUP_MODE_V2
              : strcmp(mode, "hybrid") == 0 ? CGROUP_MODE_HYBRID
                                            : CGROUP_MODE_V1;
    free(m->rel);
    m->rel = vse_strdup(rel);
    const char *root = json_string(json_get(n, "mountRoot"));
    if (root) {
        free(m->mount_root);
        m->mount_root = vse_strdup(root);
    }
    for (size_t i = 0; i < json_array_len(arr); i++) {
        int ret = load_hier(m, json_array_get(arr, i), i, err);
        if (ret < 0)
            return ret;
    }
    return 0;
}

/* ---- the rest ---- */

static int fs_update(struct cgroup_manager *m, const struct spec_resources *res,
                     struct vse_err *err)
{
    if (res == NULL)
        return 0;
    return m->mode == CGROUP_MODE_V2 ? cg_apply_v2(m, res, true, err)
                                     : cg_apply_v1(m, res, true, err);
}

const struct cgroup_driver cg_driver_cgroupfs = {
    .name = "cgroupfs",
    .create = fs_create,
    .load = fs_load,
    .to_json = fs_to_json,
    .attach = fs_attach,
    .clone_fd = fs_clone_fd,
    .freeze = cg_fs_freeze,
    .is_frozen = cg_fs_is_frozen,
    .kill_all = cg_fs_kill_all,
    .pids = cg_fs_pids,
    .update = fs_update,
    .stats = cg_fs_stats,
    .memory_raw = cg_fs_memory_raw,
    .oom_fd = cg_fs_oom_fd,
    .oom_count = cg_fs_oom_count,
    .destroy = fs_destroy,
};
