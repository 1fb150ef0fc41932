/* rootfs_pivot and rootfs_finalize. After pivot_root the container's /proc may be anything
 * the image put there, so finalize never goes through /proc/self/fd: it mounts with
 * open_tree/move_mount/fsmount on resolved fds. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "rootfs/internal.h"

static int pivot_root_syscall(const char *new_root, const char *put_old)
{
    return (int) syscall(SYS_pivot_root, new_root, put_old);
}

/* With no_pivot (ramfs roots, where pivot_root fails) the root is moved over / and chrooted
 * into, as runc does. */
static int move_and_chroot(const char *rootfs, struct vse_err *err)
{
    if (mount(rootfs, "/", NULL, MS_MOVE, NULL) < 0)
        return vse_fail_errno(err, "no-pivot: move %s to /", rootfs);
    if (chroot(".") < 0)
        return vse_fail_errno(err, "no-pivot: chroot");
    return 0;
}

/* pivot_root(".", ".") stacks the old root on top of the new one; detaching it leaves the
 * new root alone and needs no directory for the old root inside the container. The old
 * root's mounts are private or slave since rootfs_prepare, so nothing propagates out. */
int rootfs_pivot(const struct rootfs_ctx *ctx, struct vse_err *err)
{
    if (chdir(ctx->rootfs) < 0)
        return vse_fail_errno(err, "chdir %s", ctx->rootfs);
    if (ctx->no_pivot) {
        int r = move_and_chroot(ctx->rootfs, err);
        if (r < 0)
            return r;
    } else {
        if (pivot_root_syscall(".", ".") < 0)
            return vse_fail_errno(err, "pivot_root %s", ctx->rootfs);
        if (umount2(".", MNT_DETACH) < 0)
            return vse_fail_errno(err, "unmount the old root");
    }
    if (chdir("/") < 0)
        return vse_fail_errno(err, "chdir /");
    return 0;
}

/* Masking state: /dev/null checked once, and one empty read-only tmpfs cloned for every
 * masked directory. */
struct masker {
    int null_fd;
    int tmpfs_fd;
};

static void masker_release(struct masker *m)
{
    vse_closep(&m->null_fd);
    vse_closep(&m->tmpfs_fd);
}

/* The container's /dev/null must be the real null device, not a symlink or another node the
 * image planted (CVE-2025-31133 class): binding anything else over a masked file would expose
 * or redirect it. */
static int open_dev_null(struct masker *mk, struct vse_err *err)
{
    if (mk->null_fd >= 0)
        return 0;
    int fd = root_open(AT_FDCWD, "/dev/null", O_PATH | O_NOFOLLOW);
    if (fd < 0)
        return vse_fail_code(err, fd, "open /dev/null");
    mk->null_fd = fd;
    struct stat st;
    if (fstat(fd, &st) < 0)
        return vse_fail_errno(err, "stat /dev/null");
    if (!S_ISCHR(st.st_mode) || major(st.st_rdev) != 1 || minor(st.st_rdev) != 3)
        return vse_fail(err, EPERM, "/dev/null is not the null device (1:3); refusing to mask");
    return 0;
}

static int open_mask_tmpfs(struct masker *mk, struct vse_err *err)
{
    if (mk->tmpfs_fd >= 0)
        return 0;
    _cleanup_close_ int fs = fsopen("tmpfs", FSOPEN_CLOEXEC);
    if (fs < 0)
        return vse_fail_errno(err, "fsopen tmpfs");
    if (fsconfig(fs, FSCONFIG_SET_STRING, "size", "0", 0) < 0 ||
        fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
        return vse_fail_errno(err, "fsconfig tmpfs");
    int mfd = fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID |
                                               MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
    if (mfd < 0)
        return vse_fail_errno(err, "fsmount tmpfs");
    mk->tmpfs_fd = mfd;
    return 0;
}

static int clone_onto(int from, int target, struct vse_err *err)
{
    _cleanup_close_ int tree =
        open_tree(from, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
    if (tree < 0)
        return vse_fail_errno(err, "open_tree");
    int r = move_mount_fd(tree, target);
    if (r < 0)
        return vse_fail_code(err, r, "move_mount");
    return 0;
}

static int mask_path(struct masker *mk, const char *path, struct vse_err *err)
{
    _cleanup_close_ int fd = root_open(AT_FDCWD, path, O_PATH);
    if (fd == -ENOENT)
        return 0;
    if (fd < 0)
        return vse_fail_code(err, fd, "open");
    struct stat st;
    if (fstat(fd, &st) < 0)
        return vse_fail_errno(err, "stat");
    int r = S_ISDIR(st.st_mode) ? open_mask_tmpfs(mk, err) : open_dev_null(mk, err);
    if (r < 0)
        return r;
    return clone_onto(S_ISDIR(st.st_mode) ? mk->tmpfs_fd : mk->null_fd, fd, err);
}

static int mask_paths(char *const *paths, struct vse_err *err)
{
    __attribute__((cleanup(masker_release))) struct masker mk = {.null_fd = -1, .tmpfs_fd = -1};
    for (size_t i = 0; paths && paths[i]; i++) {
        int r = mask_path(&mk, paths[i], err);
        if (r < 0)
            return vse_err_prefix(err, "linux.maskedPaths[%zu] %s", i, paths[i]);
    }
    return 0;
}

/* A read-only bind of the path onto itself: mount_setattr only adds MOUNT_ATTR_RDONLY, so
 * nosuid/nodev/noexec (and locked flags in a user namespace) stay as they were. */
static int readonly_path(const char *path, struct vse_err *err)
{
    _cleanup_close_ int fd = root_open(AT_FDCWD, path, O_PATH);
    if (fd == -ENOENT)
        return 0;
    if (fd < 0)
        return vse_fail_code(err, fd, "open");
    _cleanup_close_ int tree = open_tree(fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC |
                                                     AT_RECURSIVE | AT_EMPTY_PATH);
    if (tree < 0)
        return vse_fail_errno(err, "open_tree");
    int r = setattr_fd(tree, true, MOUNT_ATTR_RDONLY, 0, 0, -1);
    if (r < 0)
        return vse_fail_code(err, r, "mount_setattr ro");
    r = move_mount_fd(tree, fd);
    if (r < 0)
        return vse_fail_code(err, r, "move_mount");
    return 0;
}

static int readonly_paths(char *const *paths, struct vse_err *err)
{
    for (size_t i = 0; paths && paths[i]; i++) {
        int r = readonly_path(paths[i], err);
        if (r < 0)
            return vse_err_prefix(err, "linux.readonlyPaths[%zu] %s", i, paths[i]);
    }
    return 0;
}

static int root_readonly(struct vse_err *err)
{
    struct mount_attr attr = {.attr_set = MOUNT_ATTR_RDONLY};
    if (mount_setattr(AT_FDCWD, "/", 0, &attr, sizeof(attr)) < 0)
        return vse_fail_errno(err, "root.readonly: remount / read-only");
    return 0;
}

static int root_propagation(const char *name, struct vse_err *err)
{
    unsigned long prop;
    if (!propagation_from_name(name, &prop))
        return vse_fail(err, EINVAL, "linux.rootfsPropagation: unknown value \"%s\"", name);
    if (mount(NULL, "/", NULL, prop, NULL) < 0)
        return vse_fail_errno(err, "linux.rootfsPropagation: make / %s", name);
    return 0;
}

int rootfs_finalize(const struct rootfs_ctx *ctx, struct vse_err *err)
{
    const struct spec *s = ctx->spec;
    const struct spec_linux *l = s ? s->linux_ : NULL;
    int r;
    if (l && (r = mask_paths(l->masked_paths, err)) < 0)
        return r;
    if (l && (r = readonly_paths(l->readonly_paths, err)) < 0)
        return r;
    if (s && s->root && s->root->readonly && (r = root_readonly(err)) < 0)
        return r;
    if (l && l->rootfs_propagation)
        return root_propagation(l->rootfs_propagation, err);
    return 0;
}
