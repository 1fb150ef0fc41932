/* The cgroup mount. On a pure cgroup v2 host, cgroup2 at the destination. On a v1 or hybrid
 * host, a tmpfs at the destination with one directory a hierarchy (the host's layout under
 * /sys/fs/cgroup), each showing the container's own cgroup: a fresh mount of the hierarchy
 * inside a cgroup namespace, else a bind of the container's cgroup directory. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "rootfs/internal.h"

#define HOST_CGROUP_ROOT "/sys/fs/cgroup"

struct hierarchy {
    char *mount_point; /* /sys/fs/cgroup/cpu */
    char *root;        /* root of the mount inside the hierarchy (mountinfo field 4) */
    char *super_opts;  /* "rw,cpu" or "rw,name=systemd" */
    bool v2;
};

struct hierarchies {
    struct hierarchy *h;
    size_t n;
};

static void hierarchies_free(struct hierarchies *hs)
{
    for (size_t i = 0; i < hs->n; i++) {
        free(hs->h[i].mount_point);
        free(hs->h[i].root);
        free(hs->h[i].super_opts);
    }
    free(hs->h);
    hs->h = NULL;
    hs->n = 0;
}

/* Splits a mountinfo line into fields; returns the count. The line is modified. */
static size_t split_fields(char *line, char **fields, size_t max)
{
    size_t n = 0;
    char *save = NULL;
    for (char *tok = strtok_r(line, " ", &save); tok && n < max; tok = strtok_r(NULL, " ", &save))
        fields[n++] = tok;
    return n;
}

/* One mountinfo line: "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL...] - TYPE SRC SUPER" */
static void parse_mountinfo_line(char *line, struct hierarchies *hs)
{
    char *f[32];
    size_t n = split_fields(line, f, VSE_ARRAY_SIZE(f));
    size_t dash = 6;
    while (dash < n && strcmp(f[dash], "-") != 0)
        dash++;
    if (dash + 3 >= n)
        return;
    const char *type = f[dash + 1], *mp = f[4];
    bool v2 = strcmp(type, "cgroup2") == 0;
    if (!v2 && strcmp(type, "cgroup") != 0)
        return;
    if (!vse_str_has_prefix(mp, HOST_CGROUP_ROOT) || strchr(mp, '\\'))
        return;
    if (mp[strlen(HOST_CGROUP_ROOT)] != '\0' && mp[strlen(HOST_CGROUP_ROOT)] != '/')
        return;
    hs->h = vse_reallocarray(hs->h, hs->n + 1, sizeof(*hs->h));
    hs->h[hs->n++] = (struct hierarchy){
        .mount_point = vse_strdup(mp),
        .root = vse_strdup(f[3]),
        .super_opts = vse_strdup(f[dash + 3]),
        .v2 = v2,
    };
}

/* Is h what its mount point shows now? mountinfo keeps mounts that a later mount covers (a
 * tmpfs over /sys/fs/cgroup hides the host's /sys/fs/cgroup/unified but both stay listed): a
 * later entry for the same mount point wins, and the mount point must be a cgroup fs now. */
static bool hierarchy_visible(const struct hierarchies *hs, size_t i)
{
    for (size_t j = i + 1; j < hs->n; j++)
        if (strcmp(hs->h[j].mount_point, hs->h[i].mount_point) == 0)
            return false;
    struct statfs sf;
    if (statfs(hs->h[i].mount_point, &sf) < 0)
        return false;
    return sf.f_type == (hs->h[i].v2 ? CGROUP2_SUPER_MAGIC : CGROUP_SUPER_MAGIC);
}

static void drop_covered(struct hierarchies *hs)
{
    size_t kept = 0;
    for (size_t i = 0; i < hs->n; i++) {
        if (hierarchy_visible(hs, i)) {
            hs->h[kept++] = hs->h[i];
            continue;
        }
        free(hs->h[i].mount_point);
        free(hs->h[i].root);
        free(hs->h[i].super_opts);
    }
    hs->n = kept;
}

static int read_hierarchies(struct hierarchies *hs, struct vse_err *err)
{
    _cleanup_free_ char *text = NULL;
    size_t len;
    int r = vse_read_file_at(AT_FDCWD, "/proc/self/mountinfo", &text, &len, err);
    if (r < 0)
        return r;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
        parse_mountinfo_line(line, hs);
    drop_covered(hs);
    return 0;
}

/* Does the option list `opts` ("rw,cpu,cpuacct") contain every name of `ctrls` ("cpu")? */
static bool opts_cover(const char *opts, const char *ctrls)
{
    _cleanup_free_ char *copy = vse_strdup(ctrls);
    char *save = NULL;
    size_t n = 0;
    for (char *c = strtok_r(copy, ",", &save); c; c = strtok_r(NULL, ",", &save), n++) {
        size_t cl = strlen(c);
        const char *p = opts;
        bool found = false;
        while (*p && !found) {
            size_t l = strcspn(p, ",");
            found = l == cl && strncmp(p, c, cl) == 0;
            p += l + (p[l] == ',');
        }
        if (!found)
            return false;
    }
    return n > 0;
}

/* The container's cgroup in hierarchy h, from /proc/self/cgroup ("4:memory:/a/b"). */
static char *own_cgroup(const char *proc_cgroup, const struct hierarchy *h)
{
    _cleanup_free_ char *copy = vse_strdup(proc_cgroup);
    char *save = NULL;
    for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *c1 = strchr(line, ':');
        char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (!c2)
            continue;
        *c2 = '\0';
        const char *ctrls = c1 + 1;
        bool match = h->v2 ? (strcmp(line, "0") == 0 && *ctrls == '\0')
                           : (*ctrls != '\0' && opts_cover(h->super_opts, ctrls));
        if (match)
            return vse_strdup(c2 + 1);
    }
    return NULL;
}

/* The host directory of the container's cgroup in h, allowing for a mount root that is not
 * the hierarchy's root (a nested runtime). */
static char *own_cgroup_dir(const char *proc_cgroup, const struct hierarchy *h)
{
    _cleanup_free_ char *path = own_cgroup(proc_cgroup, h);
    if (!path)
        return vse_strdup(h->mount_point);
    const char *rel = path;
    if (strcmp(h->root, "/") != 0 && vse_str_has_prefix(path, h->root))
        rel = path + strlen(h->root);
    while (*rel == '/')
        rel++;
    return *rel ? vse_asprintf("%s/%s", h->mount_point, rel) : vse_strdup(h->mount_point);
}

/* "rw,cpu,cpuacct" minus rw/ro: the data of a fresh mount of the same v1 hierarchy. */
static char *v1_mount_data(const char *super_opts)
{
    const char *p = super_opts;
    if (vse_str_has_prefix(p, "rw,") || vse_str_has_prefix(p, "ro,"))
        p += 3;
    return vse_strdup(p);
}

static int bind_onto(const char *src, int dest, bool recursive, unsigned long flags,
                     struct vse_err *err)
{
    _cleanup_close_ int tree = open_tree(AT_FDCWD, src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC |
                                                             (recursive ? AT_RECURSIVE : 0));
    if (tree < 0)
        return vse_fail_errno(err, "bind source %s", src);
    uint64_t set = 0;
    if (flags & MS_RDONLY)
        set |= MOUNT_ATTR_RDONLY;
    if (flags & MS_NOSUID)
        set |= MOUNT_ATTR_NOSUID;
    if (flags & MS_NODEV)
        set |= MOUNT_ATTR_NODEV;
    if (flags & MS_NOEXEC)
        set |= MOUNT_ATTR_NOEXEC;
    int r = set ? setattr_fd(tree, recursive, set, 0, 0, -1) : 0;
    if (r < 0)
        return vse_fail_code(err, r, "mount_setattr %s", src);
    r = move_mount_fd(tree, dest);
    if (r < 0)
        return vse_fail_code(err, r, "move_mount %s", src);
    return 0;
}

static unsigned long mount_flags(const struct mount_opts *o)
{
    return o->flags & (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RELATIME |
                       MS_NOATIME | MS_STRICTATIME | MS_NODIRATIME);
}

/* cgroup2 at dest: a fresh mount (it shows the namespace's root in a cgroup namespace), or
 * the container's own cgroup directory bound when a fresh mount is not allowed or would show
 * the whole host tree. */
static int mount_v2_at(const struct rootfs_ctx *ctx, const struct hierarchy *h,
                       const char *proc_cgroup, int dest, const struct mount_opts *o,
                       struct vse_err *err)
{
    bool fresh = spec_has_ns(ctx->spec, SPEC_NS_CGROUP) || !h;
    if (fresh) {
        char target[32];
        fd_proc_path(target, dest);
        if (mount("cgroup2", target, "cgroup2", mount_flags(o), NULL) == 0)
            return 0;
        if (!h || !ctx->in_user_ns || (errno != EPERM && errno != EBUSY))
            return vse_fail_errno(err, "mount cgroup2");
    }
    _cleanup_free_ char *src = own_cgroup_dir(proc_cgroup, h);
    return bind_onto(src, dest, true, mount_flags(o), err);
}

static int mount_v1_hierarchy(const struct rootfs_ctx *ctx, const struct hierarchy *h,
                              const char *proc_cgroup, int dest, const struct mount_opts *o,
                              struct vse_err *err)
{
    if (h->v2)
        return mount_v2_at(ctx, h, proc_cgroup, dest, o, err);
    /* v1 hierarchies cannot be mounted from a user namespace; bind there. */
    if (spec_has_ns(ctx->spec, SPEC_NS_CGROUP) && !ctx->in_user_ns) {
        char target[32];
        fd_proc_path(target, dest);
        _cleanup_free_ char *data = v1_mount_data(h->super_opts);
        if (mount("cgroup", target, "cgroup", mount_flags(o), data) < 0)
            return vse_fail_errno(err, "mount cgroup %s", data);
        return 0;
    }
    _cleanup_free_ char *src = own_cgroup_dir(proc_cgroup, h);
    return bind_onto(src, dest, false, mount_flags(o), err);
}

/* Co-mounted controllers ("cpu,cpuacct") also get one symlink a controller, as on the host. */
static int link_comounted(int dirfd, const char *name, struct vse_err *err)
{
    if (!strchr(name, ','))
        return 0;
    _cleanup_free_ char *copy = vse_strdup(name);
    char *save = NULL;
    for (char *c = strtok_r(copy, ",", &save); c; c = strtok_r(NULL, ",", &save))
        if (symlinkat(name, dirfd, c) < 0 && errno != EEXIST)
            return vse_fail_errno(err, "symlink %s", c);
    return 0;
}

static int mount_v1_tree(const struct rootfs_ctx *ctx, int rootfd, const struct spec_mount *m,
                         const struct mount_opts *o, const struct hierarchies *hs,
                         const char *proc_cgroup, struct vse_err *err)
{
    _cleanup_close_ int dest = -1;
    int r = root_mkdir_p(rootfd, m->destination, &dest, err);
    if (r < 0)
        return r;
    char target[32];
    fd_proc_path(target, dest);
    unsigned long flags = mount_flags(o) & ~(unsigned long) MS_RDONLY; /* filled first */
    if (mount("tmpfs", target, "tmpfs", flags, "mode=755") < 0)
        return vse_fail_errno(err, "mount tmpfs");
    _cleanup_close_ int top = root_open(rootfd, m->destination, O_PATH | O_DIRECTORY);
    if (top < 0)
        return vse_fail_code(err, top, "open new tmpfs");
    for (size_t i = 0; i < hs->n; i++) {
        const struct hierarchy *h = &hs->h[i];
        const char *name = h->mount_point + strlen(HOST_CGROUP_ROOT);
        while (*name == '/')
            name++;
        if (*name == '\0' || strchr(name, '/'))
            continue; /* only the hierarchies directly under /sys/fs/cgroup */
        if (mkdirat(top, name, 0755) < 0 && errno != EEXIST)
            return vse_fail_errno(err, "mkdir %s", name);
        _cleanup_close_ int sub = openat(top, name, O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC);
        if (sub < 0)
            return vse_fail_errno(err, "open %s", name);
        r = mount_v1_hierarchy(ctx, h, proc_cgroup, sub, o, err);
        if (r < 0)
            return vse_err_prefix(err, "%s", name);
        r = link_comounted(top, name, err);
        if (r < 0)
            return r;
    }
    if ((o->flags & MS_RDONLY) && (r = setattr_fd(top, false, MOUNT_ATTR_RDONLY, 0, 0, -1)) < 0)
        return vse_fail_code(err, r, "remount tmpfs read-only");
    return 0;
}

/* The cgroup2 hierarchy: the one at /sys/fs/cgroup itself (pure v2) when root_only, else
 * any (hybrid: /sys/fs/cgroup/unified). */
static const struct hierarchy *find_v2(const struct hierarchies *hs, bool root_only)
{
    for (size_t i = 0; i < hs->n; i++)
        if (hs->h[i].v2 && (!root_only || strcmp(hs->h[i].mount_point, HOST_CGROUP_ROOT) == 0))
            return &hs->h[i];
    return NULL;
}

int mount_cgroup(const struct rootfs_ctx *ctx, int rootfd, const struct spec_mount *m,
                 const struct mount_opts *o, struct vse_err *err)
{
    __attribute__((cleanup(hierarchies_free))) struct hierarchies hs = {0};
    int r = read_hierarchies(&hs, err);
    if (r < 0)
        return r;
    _cleanup_free_ char *proc_cgroup = NULL;
    size_t len;
    r = vse_read_file_at(AT_FDCWD, "/proc/self/cgroup", &proc_cgroup, &len, err);
    if (r < 0)
        return r;
    bool want_v2 = strcmp(m->type, "cgroup2") == 0;
    const struct hierarchy *v2 = find_v2(&hs, !want_v2);
    if (v2 || want_v2) {
        _cleanup_close_ int dest = -1;
        r = root_mkdir_p(rootfd, m->destination, &dest, err);
        if (r < 0)
            return r;
        return mount_v2_at(ctx, v2, proc_cgroup, dest, o, err);
    }
    return mount_v1_tree(ctx, rootfd, m, o, &hs, proc_cgroup, err);
}
