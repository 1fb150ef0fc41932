/* Path resolution inside the rootfs. Every lookup goes through openat2(RESOLVE_IN_ROOT), so a
 * symlink in the container image ("/etc/x -> /host/path") resolves inside the rootfs and a
 * mount can never land on the host (CVE-2021-30465 class). Mounts then target the resolved fd
 * (/proc/self/fd/N or move_mount), never the path string again. */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "rootfs/internal.h"

int root_open(int rootfd, const char *path, int flags)
{
    struct open_how how = {
        .flags = (uint64_t) (flags | O_CLOEXEC),
        .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
    };
    if (flags & O_CREAT)
        how.mode = 0644;
    while (*path == '/')
        path++;
    if (*path == '\0')
        path = ".";
    long fd;
    do {
        fd = syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
    } while (fd < 0 && errno == EAGAIN); /* a concurrent rename: retry, as openat2(2) asks */
    return fd < 0 ? -errno : (int) fd;
}

void fd_proc_path(char buf[static 32], int fd)
{
    snprintf(buf, 32, "/proc/self/fd/%d", fd);
}

int move_mount_fd(int tree_fd, int to_fd)
{
    if (move_mount(tree_fd, "", to_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
        return -errno;
    return 0;
}

int setattr_fd(int fd, bool recursive, uint64_t set, uint64_t clr, uint64_t propagation,
               int userns_fd)
{
    struct mount_attr attr = {
        .attr_set = set,
        .attr_clr = clr,
        .propagation = propagation,
        .userns_fd = userns_fd >= 0 ? (uint64_t) userns_fd : 0,
    };
    unsigned int flags = AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0);
    if (mount_setattr(fd, "", flags, &attr, sizeof(attr)) < 0)
        return -errno;
    return 0;
}

#define MAX_LINK_DEPTH 40

static int mkdir_components(int rootfd, const char *path, int depth, int *out,
                            struct vse_err *err);

/* `name` in parent exists but does not resolve: a dangling symlink. Its target is made inside
 * the root (absolute targets start at the rootfs), as runc does, so the mount can follow it. */
static int mkdir_link_target(int rootfd, int parent, const char *parent_path, const char *name,
                             int depth, struct vse_err *err)
{
    char target[4096];
    ssize_t n = readlinkat(parent, name, target, sizeof(target) - 1);
    if (n < 0)
        return -ENOENT;
    target[n] = '\0';
    if (depth >= MAX_LINK_DEPTH)
        return vse_fail(err, ELOOP, "%s/%s: too many levels of symbolic links", parent_path, name);
    _cleanup_free_ char *dest = target[0] == '/' ? vse_strdup(target)
                                                 : vse_asprintf("%s/%s", parent_path, target);
    _cleanup_close_ int fd = -1;
    return mkdir_components(rootfd, dest, depth + 1, &fd, err);
}

/* Creates every missing directory of `path` one component at a time: each prefix is resolved
 * from the root again (symlinks included, confined to the root), and only the last missing
 * name is made with mkdirat() in the already resolved parent. */
static int mkdir_components(int rootfd, const char *path, int depth, int *out,
                            struct vse_err *err)
{
    size_t len = strlen(path);
    _cleanup_free_ char *prefix = vse_zalloc(len + 2);
    _cleanup_close_ int parent = root_open(rootfd, "/", O_PATH | O_DIRECTORY);
    if (parent < 0)
        return vse_fail_code(err, parent, "open rootfs");
    size_t plen = 0;
    const char *p = path;
    while (*p) {
        while (*p == '/')
            p++;
        size_t n = strcspn(p, "/");
        if (n == 0)
            break;
        _cleanup_free_ char *name = vse_strndup(p, n);
        _cleanup_free_ char *parent_path = vse_strndup(prefix, plen);
        prefix[plen++] = '/';
        memcpy(prefix + plen, p, n);
        plen += n;
        prefix[plen] = '\0';
        p += n;
        int fd = root_open(rootfd, prefix, O_PATH);
        if (fd == -ENOENT) {
            if (mkdirat(parent, name, 0755) < 0) {
                if (errno != EEXIST)
                    return vse_fail_errno(err, "mkdir %s", prefix);
                int r = mkdir_link_target(rootfd, parent, parent_path, name, depth, err);
                if (r < 0 && r != -ENOENT)
                    return r;
            }
            fd = root_open(rootfd, prefix, O_PATH);
        }
        if (fd < 0)
            return vse_fail_code(err, fd, "open %s", prefix);
        close(parent);
        parent = fd;
    }
    *out = steal_fd(&parent);
    return 0;
}

int root_mkdir_p(int rootfd, const char *path, int *out, struct vse_err *err)
{
    int fd = root_open(rootfd, path, O_PATH);
    if (fd >= 0) {
        *out = fd;
        return 0;
    }
    if (fd != -ENOENT)
        return vse_fail_code(err, fd, "open %s", path);
    /* Common case: only the last component is missing (mounts[] creating /dev/pts in a
     * fresh /dev). Anything else takes the component walk. */
    size_t len = strlen(path);
    while (len > 1 && path[len - 1] == '/')
        len--;
    const char *base = memrchr(path, '/', len);
    if (base && base > path) {
        _cleanup_free_ char *dir = vse_strndup(path, (size_t) (base - path));
        _cleanup_free_ char *name = vse_strndup(base + 1, len - (size_t) (base + 1 - path));
        _cleanup_close_ int parent = root_open(rootfd, dir, O_PATH | O_DIRECTORY);
        if (parent >= 0 && strcmp(name, "..") != 0 && strcmp(name, ".") != 0 &&
            mkdirat(parent, name, 0755) == 0) {
            fd = root_open(rootfd, path, O_PATH);
            if (fd < 0)
                return vse_fail_code(err, fd, "open %s", path);
            *out = fd;
            return 0;
        }
    }
    return mkdir_components(rootfd, path, 0, out, err);
}

static int mkfile_depth(int rootfd, const char *path, int depth, int *out, struct vse_err *err);

/* The file name is a dangling symlink: make its target inside the root instead. */
static int mkfile_link_target(int rootfd, int dirfd, const char *dir, const char *base,
                              int depth, int *out, struct vse_err *err)
{
    char target[4096];
    ssize_t n = readlinkat(dirfd, base, target, sizeof(target) - 1);
    if (n < 0)
        return vse_fail_errno(err, "open %s%s", dir, base);
    target[n] = '\0';
    if (depth >= MAX_LINK_DEPTH)
        return vse_fail(err, ELOOP, "%s%s: too many levels of symbolic links", dir, base);
    _cleanup_free_ char *dest = target[0] == '/' ? vse_strdup(target)
                                                 : vse_asprintf("%s/%s", dir, target);
    return mkfile_depth(rootfd, dest, depth + 1, out, err);
}

static int mkfile_depth(int rootfd, const char *path, int depth, int *out, struct vse_err *err)
{
    int fd = root_open(rootfd, path, O_PATH);
    if (fd >= 0) {
        *out = fd;
        return 0;
    }
    if (fd != -ENOENT)
        return vse_fail_code(err, fd, "open %s", path);

    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    if (*base == '\0' || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
        return vse_fail(err, EINVAL, "%s: not a file name", path);
    _cleanup_free_ char *dir = vse_strndup(path, (size_t) (base - path));
    _cleanup_close_ int dirfd = -1;
    int r = root_mkdir_p(rootfd, *dir ? dir : "/", &dirfd, err);
    if (r < 0)
        return r;
    /* O_NOFOLLOW|O_EXCL: a symlink planted here is never followed by the kernel. */
    int nfd = openat(dirfd, base, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (nfd >= 0) {
        *out = nfd;
        return 0;
    }
    if (errno != EEXIST)
        return vse_fail_errno(err, "create %s", path);
    fd = root_open(rootfd, path, O_PATH);
    if (fd == -ENOENT)
        return mkfile_link_target(rootfd, dirfd, dir, base, depth, out, err);
    if (fd < 0)
        return vse_fail_code(err, fd, "open %s", path);
    *out = fd;
    return 0;
}

int root_mkfile(int rootfd, const char *path, int *out, struct vse_err *err)
{
    return mkfile_depth(rootfd, path, 0, out, err);
}
