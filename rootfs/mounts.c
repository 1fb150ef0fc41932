/* rootfs_prepare: propagation of /, the root bind mount, every mounts[] entry in order, then
 * /dev defaults, linux.devices and the console. Runs in the container init, in its own mount
 * namespace, before pivot_root; the host's /proc is still the one at /proc. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"
#include "rootfs/internal.h"

static void restore_umask(const mode_t *old)
{
    umask(*old);
}

static void opts_releasep(struct mount_opts *o)
{
    mount_opts_release(o);
}

bool spec_has_ns(const struct spec *s, enum spec_ns_type type)
{
    if (!s || !s->linux_)
        return false;
    for (size_t i = 0; i < s->linux_->n_namespaces; i++)
        if (s->linux_->namespaces[i].type == type)
            return true;
    return false;
}

static bool is_bind(const struct spec_mount *m, const struct mount_opts *o)
{
    return (o->flags & MS_BIND) || (m->type && strcmp(m->type, "bind") == 0);
}

/* Bind sources are host paths, relative ones taken from the bundle as runc does. */
static char *bind_source(const struct rootfs_ctx *ctx, const char *source)
{
    if (source[0] == '/' || !ctx->bundle)
        return vse_strdup(source);
    return vse_asprintf("%s/%s", ctx->bundle, source);
}

/* Clears the atime field when a recursive atime mode was named. */
static uint64_t rec_clear_mask(const struct mount_opts *o)
{
    return o->rec_clr | (o->rec_atime ? (uint64_t) MOUNT_ATTR__ATIME : 0);
}

static int apply_idmap(const struct rootfs_ctx *ctx, const struct spec_mount *m,
                       const struct mount_opts *o, int tree, struct vse_err *err)
{
    struct spec_mount with_maps = *m;
    const struct spec_linux *l = ctx->spec ? ctx->spec->linux_ : NULL;
    if (m->n_uid_mappings == 0 && m->n_gid_mappings == 0 && l) {
        /* No mappings on the mount: use the container's own, as the runtime-spec says. */
        with_maps.uid_mappings = l->uid_mappings;
        with_maps.n_uid_mappings = l->n_uid_mappings;
        with_maps.gid_mappings = l->gid_mappings;
        with_maps.n_gid_mappings = l->n_gid_mappings;
    }
    _cleanup_close_ int userns = -1;
    int r = idmap_userns_fd(&with_maps, &userns, err);
    if (r < 0)
        return r;
    r = setattr_fd(tree, o->ridmap, MOUNT_ATTR_IDMAP, 0, 0, userns);
    if (r < 0)
        return vse_fail_code(err, r, "idmap mount_setattr");
    return 0;
}

/* Sets the attributes on the detached tree, so the mount appears with them atomically. */
static int bind_set_attrs(const struct rootfs_ctx *ctx, const struct spec_mount *m,
                          const struct mount_opts *o, int tree, struct vse_err *err)
{
    uint64_t set, clr;
    mount_opts_to_attr(o, &set, &clr);
    int r;
    if (set | clr) {
        r = setattr_fd(tree, false, set, clr, 0, -1);
        if (r < 0)
            return vse_fail_code(err, r, "mount_setattr");
    }
    if (o->rec_set | rec_clear_mask(o)) {
        r = setattr_fd(tree, true, o->rec_set, rec_clear_mask(o), 0, -1);
        if (r < 0)
            return vse_fail_code(err, r, "recursive mount_setattr");
    }
    if (o->idmap || o->ridmap)
        return apply_idmap(ctx, m, o, tree, err);
    return 0;
}

static int set_propagation(int fd, unsigned long prop, struct vse_err *err)
{
    int r = setattr_fd(fd, prop & MS_REC, 0, 0, prop & ~(unsigned long) MS_REC, -1);
    if (r < 0)
        return vse_fail_code(err, r, "set propagation");
    return 0;
}

/* bind/rbind: clone the source tree (open_tree), set its attributes while detached, then
 * attach it on the resolved destination with move_mount. */
static int mount_bind_from(const struct rootfs_ctx *ctx, int rootfd, const struct spec_mount *m,
                           const struct mount_opts *o, const char *src, struct vse_err *err)
{
    unsigned int flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC;
    if (o->flags & MS_REC)
        flags |= AT_RECURSIVE;
    _cleanup_close_ int tree = open_tree(AT_FDCWD, src, flags);
    if (tree < 0)
        return vse_fail_errno(err, "bind source %s", src);
    struct stat st;
    if (fstat(tree, &st) < 0)
        return vse_fail_errno(err, "stat %s", src);

    _cleanup_close_ int dest = -1;
    int r = S_ISDIR(st.st_mode) ? root_mkdir_p(rootfd, m->destination, &dest, err)
                                : root_mkfile(rootfd, m->destination, &dest, err);
    if (r < 0)
        return r;
    r = bind_set_attrs(ctx, m, o, tree, err);
    if (r < 0)
        return r;
    r = move_mount_fd(tree, dest);
    if (r < 0)
        return vse_fail_code(err, r, "move_mount");
    if (o->propagation)
        return set_propagation(tree, o->propagation, err);
    return 0;
}

static int mount_bind(const struct rootfs_ctx *ctx, int rootfd, const struct spec_mount *m,
                      const struct mount_opts *o, struct vse_err *err)
{
    if (!m->source)
        return vse_fail(err, EINVAL, "bind mount without a source");
    _cleanup_free_ char *src = bind_source(ctx, m->source);
    return mount_bind_from(ctx, rootfd, m, o, src, err);
}

/* A user namespace without its own network namespace may not mount sysfs: bind the host's
 * /sys recursively instead, as runc does. */
static int mount_sysfs_bind(const struct rootfs_ctx *ctx, int rootfd, const struct spec_mount *m,
                            const struct mount_opts *o, struct vse_err *err)
{
    struct mount_opts b = *o;
    b.flags |= MS_BIND | MS_REC;
    if (b.flags & MS_RDONLY) {
        b.rec_set |= MOUNT_ATTR_RDONLY; /* every submount of /sys too */
        b.flags &= ~(unsigned long) MS_RDONLY;
    }
    return mount_bind_from(ctx, rootfd, m, &b, "/sys", err);
}

/* Steps after the mount itself that need the new mount: recursive attributes, tmpcopyup's
 * deferred read-only, propagation. The destination is resolved again to reach the new top. */
static int after_mount(int rootfd, const struct spec_mount *m, const struct mount_opts *o,
                       int below, bool deferred_ro, struct vse_err *err)
{
    bool rec = o->rec_set | rec_clear_mask(o);
    if (!rec && !o->propagation && !o->tmpcopyup && !deferred_ro)
        return 0;
    _cleanup_close_ int top = root_open(rootfd, m->destination, O_RDONLY | O_DIRECTORY);
    if (top < 0)
        return vse_fail_code(err, top, "open new mount");
    int r;
    if (o->tmpcopyup) {
        r = copy_tree(below, top, err);
        if (r < 0)
            return vse_err_prefix(err, "tmpcopyup");
    }
    if (deferred_ro && (r = setattr_fd(top, false, MOUNT_ATTR_RDONLY, 0, 0, -1)) < 0)
        return vse_fail_code(err, r, "remount read-only");
    if (rec && (r = setattr_fd(top, true, o->rec_set, rec_clear_mask(o), 0, -1)) < 0)
        return vse_fail_code(err, r, "recursive mount_setattr");
    if (o->propagation)
        return set_propagation(top, o->propagation, err);
    return 0;
}

static int mount_fs(const struct rootfs_ctx *ctx, int rootfd, const struct spec_mount *m,
                    const struct mount_opts *o, struct vse_err *err)
{
    const char *type = m->type;
    if (!type)
        return vse_fail(err, EINVAL, "type: missing (and not a bind mount)");
    _cleanup_close_ int dest = -1;
    int r = root_mkdir_p(rootfd, m->destination, &dest, err);
    if (r < 0)
        return r;
    _cleanup_close_ int below = -1;
    unsigned long flags = o->flags;
    bool deferred_ro = false;
    if (o->tmpcopyup) {
        below = openat(dest, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (below < 0)
            return vse_fail_errno(err, "open for tmpcopyup");
        deferred_ro = flags & MS_RDONLY; /* fill it first */
        flags &= ~(unsigned long) MS_RDONLY;
    }
    char target[32];
    fd_proc_path(target, dest);
    const char *source = m->source ? m->source : type;
    if (mount(source, target, type, flags, o->data) < 0) {
        if (errno == ENODEV)
            return vse_fail(err, ENODEV, "mount: unknown filesystem type \"%s\"", type);
        if (errno == EPERM && ctx->in_user_ns && strcmp(type, "sysfs") == 0)
            return mount_sysfs_bind(ctx, rootfd, m, o, err);
        return vse_fail_errno(err, "mount %s", type);
    }
    return after_mount(rootfd, m, o, below, deferred_ro, err);
}

static int mount_one(const struct rootfs_ctx *ctx, int rootfd, const struct spec_mount *m,
                     struct vse_err *err)
{
    if (!m->destination || !*m->destination)
        return vse_fail(err, EINVAL, "destination: missing");
    __attribute__((cleanup(opts_releasep))) struct mount_opts o;
    mount_opts_parse(m->options, &o);
    if (is_bind(m, &o))
        return mount_bind(ctx, rootfd, m, &o, err);
    if ((o.idmap || o.ridmap))
        return vse_fail(err, EINVAL, "options: idmap is only supported on bind mounts");
    if (strcmp(m->type ? m->type : "", "cgroup") == 0 ||
        strcmp(m->type ? m->type : "", "cgroup2") == 0) {
        int ret = ctx->before_cgroup_mount ? ctx->before_cgroup_mount(ctx->hook_data, err) : 0;
        return ret < 0 ? ret : mount_cgroup(ctx, rootfd, m, &o, err);
    }
    if (ctx->in_user_ns && strcmp(m->type ? m->type : "", "sysfs") == 0 &&
        !spec_has_ns(ctx->spec, SPEC_NS_NETWORK))
        return mount_sysfs_bind(ctx, rootfd, m, &o, err);
    return mount_fs(ctx, rootfd, m, &o, err);
}

/* Keeps the container's mounts from reaching the host: / becomes rprivate, or rslave when
 * rootfsPropagation asks for slave or shared (shared is applied to the new root later). */
static int make_root_private(const struct rootfs_ctx *ctx, struct vse_err *err)
{
    unsigned long flags = MS_REC | MS_PRIVATE;
    const char *want = ctx->spec && ctx->spec->linux_ ? ctx->spec->linux_->rootfs_propagation
                                                        : NULL;
    if (want) {
        unsigned long prop;
        if (!propagation_from_name(want, &prop))
            return vse_fail(err, EINVAL, "linux.rootfsPropagation: unknown value \"%s\"", want);
        if (prop & (MS_SLAVE | MS_SHARED))
            flags = MS_REC | MS_SLAVE;
    }
    if (mount(NULL, "/", NULL, flags, NULL) < 0)
        return vse_fail_errno(err, "make / %s", flags & MS_SLAVE ? "rslave" : "rprivate");
    return 0;
}

static int mount_all(const struct rootfs_ctx *ctx, int rootfd, struct vse_err *err)
{
    const struct spec *s = ctx->spec;
    for (size_t i = 0; s && i < s->n_mounts; i++) {
        const struct spec_mount *m = &s->mounts[i];
        int r = mount_one(ctx, rootfd, m, err);
        if (r < 0)
            return vse_err_prefix(err, "mounts[%zu] %s", i, m->destination ? m->destination : "");
        vse_log(ctx->log, VSE_LOG_DEBUG, "mounts[%zu] %s: mounted", i, m->destination);
    }
    return 0;
}

int rootfs_prepare(const struct rootfs_ctx *ctx, struct vse_err *err)
{
    if (!ctx->rootfs)
        return vse_fail(err, EINVAL, "root.path: missing");
    __attribute__((cleanup(restore_umask))) mode_t old_umask = umask(0);
    int r = make_root_private(ctx, err);
    if (r < 0)
        return r;
    /* pivot_root needs the new root to be a mount point. */
    if (mount(ctx->rootfs, ctx->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
        return vse_fail_errno(err, "root.path %s: bind mount", ctx->rootfs);
    _cleanup_close_ int rootfd = open(ctx->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0)
        return vse_fail_errno(err, "root.path %s: open", ctx->rootfs);
    r = mount_all(ctx, rootfd, err);
    if (r < 0)
        return r;
    r = dev_setup_defaults(ctx, rootfd, err);
    if (r < 0)
        return r;
    r = dev_create_devices(ctx, rootfd, err);
    if (r < 0)
        return r;
    if (ctx->console_path)
        return dev_bind_console(rootfd, ctx->console_path, err);
    return 0;
}

int rootfs_bind_console(const struct rootfs_ctx *ctx, const char *slave_path,
                        struct vse_err *err)
{
    _cleanup_close_ int rootfd = open(ctx->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0)
        return vse_fail_errno(err, "root.path %s: open", ctx->rootfs);
    return dev_bind_console(rootfd, slave_path, err);
}
