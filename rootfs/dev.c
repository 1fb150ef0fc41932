/* /dev: the default device nodes and links, linux.devices, /dev/console and the container's
 * ptmx. In a user namespace mknod is not allowed, so the host's node is bind-mounted onto an
 * empty file. */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "rootfs/internal.h"

struct default_dev {
    const char *name;
    unsigned int major, minor;
};

static const struct default_dev default_devs[] = {
    {"null", 1, 3}, {"zero", 1, 5}, {"full", 1, 7},
    {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0},
};

static const char *const default_links[][2] = {
    {"fd", "/proc/self/fd"},      {"stdin", "/proc/self/fd/0"},
    {"stdout", "/proc/self/fd/1"}, {"stderr", "/proc/self/fd/2"},
    {"ptmx", "pts/ptmx"},
};

/* "/dev/", "dev", "//dev" all name /dev. */
static bool is_dev_path(const char *p)
{
    while (*p == '/')
        p++;
    if (strncmp(p, "dev", 3) != 0)
        return false;
    p += 3;
    while (*p == '/')
        p++;
    return *p == '\0';
}

/* runc's rule: /dev is populated unless the config bind-mounts it from somewhere. */
static bool dev_is_bind_mounted(const struct spec *s)
{
    for (size_t i = 0; s && i < s->n_mounts; i++) {
        const struct spec_mount *m = &s->mounts[i];
        if (!m->destination || !is_dev_path(m->destination))
            continue;
        if (m->type && strcmp(m->type, "bind") == 0)
            return true;
        for (size_t j = 0; m->options && m->options[j]; j++)
            if (strcmp(m->options[j], "bind") == 0 || strcmp(m->options[j], "rbind") == 0)
                return true;
    }
    return false;
}

static bool config_has_device(const struct spec *s, const char *name)
{
    const struct spec_linux *l = s ? s->linux_ : NULL;
    for (size_t i = 0; l && i < l->n_devices; i++) {
        const char *p = l->devices[i].path;
        if (p && vse_str_has_prefix(p, "/dev/") && strcmp(p + 5, name) == 0)
            return true;
    }
    return false;
}

/* An existing regular file or device node at dirfd/name, or a new empty file; never a symlink
 * or a directory, so a bind onto it cannot be redirected. */
static int open_node_target(int dirfd, const char *name, int *out, struct vse_err *err)
{
    _cleanup_close_ int fd =
        openat(dirfd, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd >= 0) {
        *out = steal_fd(&fd);
        return 0;
    }
    if (errno != EEXIST)
        return vse_fail_errno(err, "create %s", name);
    fd = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return vse_fail_errno(err, "open %s", name);
    struct stat st;
    if (fstat(fd, &st) < 0)
        return vse_fail_errno(err, "stat %s", name);
    if (!S_ISREG(st.st_mode) && !S_ISCHR(st.st_mode))
        return vse_fail(err, EINVAL, "%s: not a regular file or character device", name);
    *out = steal_fd(&fd);
    return 0;
}

/* The host node `host_path` bind-mounted onto dirfd/name. */
static int bind_host_node(int dirfd, const char *name, const char *host_path,
                          struct vse_err *err)
{
    _cleanup_close_ int fd = -1;
    int r = open_node_target(dirfd, name, &fd, err);
    if (r < 0)
        return r;
    char target[32];
    fd_proc_path(target, fd);
    if (mount(host_path, target, NULL, MS_BIND, NULL) < 0)
        return vse_fail_errno(err, "bind %s", host_path);
    return 0;
}

static int make_node(int dirfd, const char *name, mode_t mode, dev_t dev, bool in_user_ns,
                     const char *host_path, struct vse_err *err)
{
    if (in_user_ns)
        return bind_host_node(dirfd, name, host_path, err);
    if (mknodat(dirfd, name, mode, dev) < 0 && errno != EEXIST)
        return vse_fail_errno(err, "mknod %s", name);
    return 0;
}

int dev_setup_defaults(const struct rootfs_ctx *ctx, int rootfd, struct vse_err *err)
{
    if (dev_is_bind_mounted(ctx->spec))
        return 0;
    _cleanup_close_ int devfd = -1;
    int r = root_mkdir_p(rootfd, "/dev", &devfd, err);
    if (r < 0)
        return vse_err_prefix(err, "/dev");
    for (size_t i = 0; i < VSE_ARRAY_SIZE(default_devs); i++) {
        const struct default_dev *d = &default_devs[i];
        if (config_has_device(ctx->spec, d->name))
            continue;
        _cleanup_free_ char *host = vse_asprintf("/dev/%s", d->name);
        r = make_node(devfd, d->name, S_IFCHR | 0666, makedev(d->major, d->minor),
                      ctx->in_user_ns, host, err);
        if (r < 0)
            return vse_err_prefix(err, "/dev");
    }
    for (size_t i = 0; i < VSE_ARRAY_SIZE(default_links); i++) {
        if (symlinkat(default_links[i][1], devfd, default_links[i][0]) < 0 && errno != EEXIST)
            return vse_fail_errno(err, "/dev: symlink %s", default_links[i][0]);
    }
    return 0;
}

static int device_mode(const struct spec_device *d, mode_t *out)
{
    mode_t type;
    switch (d->type) {
    case 'c':
    case 'u':
        type = S_IFCHR;
        break;
    case 'b':
        type = S_IFBLK;
        break;
    case 'p':
        type = S_IFIFO;
        break;
    default:
        return -EINVAL;
    }
    *out = type | (d->file_mode.set ? (mode_t) (d->file_mode.value & 07777) : 0666);
    return 0;
}

static int create_device(const struct rootfs_ctx *ctx, int rootfd, const struct spec_device *d,
                         struct vse_err *err)
{
    mode_t mode;
    if (!d->path || d->path[0] != '/')
        return vse_fail(err, EINVAL, "path: must be absolute");
    if (device_mode(d, &mode) < 0)
        return vse_fail(err, EINVAL, "type: unknown device type '%c'", d->type ? d->type : '?');
    const char *base = strrchr(d->path, '/') + 1;
    if (*base == '\0')
        return vse_fail(err, EINVAL, "path: not a file name");
    _cleanup_free_ char *dir = vse_strndup(d->path, (size_t) (base - d->path));
    _cleanup_close_ int dirfd = -1;
    int r = root_mkdir_p(rootfd, dir, &dirfd, err);
    if (r < 0)
        return r;
    dev_t dev = makedev((unsigned int) d->major, (unsigned int) d->minor);
    r = make_node(dirfd, base, mode, dev, ctx->in_user_ns, d->path, err);
    if (r < 0 || ctx->in_user_ns)
        return r;
    if (d->uid.set || d->gid.set) {
        uid_t uid = d->uid.set ? (uid_t) d->uid.value : (uid_t) -1;
        gid_t gid = d->gid.set ? (gid_t) d->gid.value : (gid_t) -1;
        if (fchownat(dirfd, base, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
            return vse_fail_errno(err, "chown");
    }
    return 0;
}

int dev_create_devices(const struct rootfs_ctx *ctx, int rootfd, struct vse_err *err)
{
    const struct spec_linux *l = ctx->spec ? ctx->spec->linux_ : NULL;
    for (size_t i = 0; l && i < l->n_devices; i++) {
        int r = create_device(ctx, rootfd, &l->devices[i], err);
        if (r < 0)
            return vse_err_prefix(err, "linux.devices[%zu] %s", i,
                                  l->devices[i].path ? l->devices[i].path : "");
    }
    return 0;
}

int dev_bind_console(int rootfd, const char *slave_path, struct vse_err *err)
{
    _cleanup_close_ int devfd = -1;
    int r = root_mkdir_p(rootfd, "/dev", &devfd, err);
    if (r < 0)
        return vse_err_prefix(err, "/dev/console");
    r = bind_host_node(devfd, "console", slave_path, err);
    if (r < 0)
        return vse_err_prefix(err, "/dev/console");
    return 0;
}

/* The container's terminal comes from its own devpts instance (mounted with newinstance at
 * /dev/pts), never from the host's /dev/ptmx: the pty number then exists in the container's
 * /dev/pts, and nothing of the host's pty namespace is handed in. */
int rootfs_open_ptmx(int rootfd, struct vse_err *err)
{
    struct open_how how = {
        .flags = O_RDWR | O_NOCTTY | O_CLOEXEC,
        .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
    };
    _cleanup_close_ int fd = (int) syscall(SYS_openat2, rootfd, "dev/pts/ptmx", &how,
                                           sizeof(how));
    if (fd < 0)
        return vse_fail_errno(err, "process.terminal: the pty for /dev/console comes from the "
                              "container's devpts (mount devpts with newinstance at "
                              "/dev/pts): open /dev/pts/ptmx");
    struct statfs sfs;
    struct stat sb;
    if (fstatfs(fd, &sfs) < 0 || fstat(fd, &sb) < 0)
        return vse_fail_errno(err, "process.terminal: stat /dev/pts/ptmx");
    if (sfs.f_type != DEVPTS_SUPER_MAGIC || !S_ISCHR(sb.st_mode) || major(sb.st_rdev) != 5 ||
        minor(sb.st_rdev) != 2)
        return vse_fail(err, EINVAL, "process.terminal: /dev/pts/ptmx of the container is not "
                        "the ptmx of a devpts mount (needed for /dev/console)");
    return steal_fd(&fd);
}
