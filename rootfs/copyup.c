/* tmpcopyup: what was in the directory before a tmpfs covered it is copied into the tmpfs,
 * keeping modes, owners, symlinks and device nodes. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "rootfs/internal.h"

static int copy_data(int in, int out)
{
    for (;;) {
        ssize_t n = copy_file_range(in, NULL, out, NULL, 1 << 30, 0);
        if (n == 0)
            return 0;
        if (n > 0)
            continue;
        if (errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
            return -errno;
        break;
    }
    char buf[65536];
    for (;;) {
        ssize_t n = read(in, buf, sizeof(buf));
        if (n == 0)
            return 0;
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        for (ssize_t off = 0; off < n;) {
            ssize_t w = write(out, buf + off, (size_t) (n - off));
            if (w < 0 && errno != EINTR)
                return -errno;
            off += w > 0 ? w : 0;
        }
    }
}

static int copy_file(int src_dir, int dst_dir, const char *name, const struct stat *st,
                     struct vse_err *err)
{
    _cleanup_close_ int in = openat(src_dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (in < 0)
        return vse_fail_errno(err, "open %s", name);
    _cleanup_close_ int out = openat(dst_dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
                                                        O_CLOEXEC, st->st_mode & 07777);
    if (out < 0)
        return vse_fail_errno(err, "create %s", name);
    int r = copy_data(in, out);
    if (r < 0)
        return vse_fail_code(err, r, "copy %s", name);
    return 0;
}

static int copy_symlink(int src_dir, int dst_dir, const char *name, struct vse_err *err)
{
    char target[4096];
    ssize_t n = readlinkat(src_dir, name, target, sizeof(target) - 1);
    if (n < 0)
        return vse_fail_errno(err, "readlink %s", name);
    target[n] = '\0';
    if (symlinkat(target, dst_dir, name) < 0)
        return vse_fail_errno(err, "symlink %s", name);
    return 0;
}

static int copy_entry(int src_dir, int dst_dir, const char *name, struct vse_err *err);

static int copy_subdir(int src_dir, int dst_dir, const char *name, const struct stat *st,
                       struct vse_err *err)
{
    if (mkdirat(dst_dir, name, st->st_mode & 07777) < 0)
        return vse_fail_errno(err, "mkdir %s", name);
    _cleanup_close_ int s = openat(src_dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    _cleanup_close_ int d = openat(dst_dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (s < 0 || d < 0)
        return vse_fail_errno(err, "open %s", name);
    int r = copy_tree(s, d, err);
    if (r < 0)
        return vse_err_prefix(err, "%s", name);
    return 0;
}

static int copy_entry(int src_dir, int dst_dir, const char *name, struct vse_err *err)
{
    struct stat st;
    if (fstatat(src_dir, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return vse_fail_errno(err, "stat %s", name);
    int r;
    if (S_ISDIR(st.st_mode))
        r = copy_subdir(src_dir, dst_dir, name, &st, err);
    else if (S_ISREG(st.st_mode))
        r = copy_file(src_dir, dst_dir, name, &st, err);
    else if (S_ISLNK(st.st_mode))
        r = copy_symlink(src_dir, dst_dir, name, err);
    else if (mknodat(dst_dir, name, st.st_mode, st.st_rdev) < 0)
        r = vse_fail_errno(err, "mknod %s", name);
    else
        r = 0;
    if (r < 0)
        return r;
    if (fchownat(dst_dir, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0)
        return vse_fail_errno(err, "chown %s", name);
    return 0;
}

int copy_tree(int src_dir, int dst_dir, struct vse_err *err)
{
    struct stat st;
    if (fstat(src_dir, &st) < 0)
        return vse_fail_errno(err, "stat");
    if (fchmod(dst_dir, st.st_mode & 07777) < 0 || fchown(dst_dir, st.st_uid, st.st_gid) < 0)
        return vse_fail_errno(err, "chmod/chown");
    int dup_fd = fcntl(src_dir, F_DUPFD_CLOEXEC, 0);
    if (dup_fd < 0)
        return vse_fail_errno(err, "dup");
    _cleanup_closedir_ DIR *d = fdopendir(dup_fd);
    if (!d) {
        close(dup_fd);
        return vse_fail_errno(err, "opendir");
    }
    struct dirent *e;
    while ((errno = 0, e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        int r = copy_entry(src_dir, dst_dir, e->d_name, err);
        if (r < 0)
            return r;
    }
    if (errno != 0)
        return vse_fail_errno(err, "readdir");
    return 0;
}
