/* Unit tests of rootfs/: every case runs in a forked child with its own mount namespace (and
 * cgroup namespace), so nothing it mounts can reach the host. The child builds a rootfs under
 * a /tmp/vse-rootfs-* directory, runs rootfs_prepare/pivot/finalize with a spec built here,
 * and checks the result from inside the new root. The parent checks that no mount under the
 * directory leaked and removes it. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "rootfs/rootfs.h"

static int failures; /* per child process: each case runs in its own fork */

#define CHECK(cond, ...)                                                                          \
    do {                                                                                          \
        if (!(cond)) {                                                                            \
            failures++;                                                                           \
            fprintf(stderr, "  FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);                     \
            fprintf(stderr, __VA_ARGS__);                                                         \
            fprintf(stderr, "\n");                                                                \
        }                                                                                         \
    } while (0)

#define OPTS(...) ((char *[]){__VA_ARGS__, NULL})

struct env {
    char base[64];   /* /tmp/vse-rootfs-XXXXXX */
    char rootfs[96]; /* base/rootfs */
    char host[96];   /* base/host: a directory outside the rootfs */
};

/* ---------------------------------------------------------------- helpers */

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "write %s: %s\n", path, strerror(errno));
        exit(2);
    }
    fputs(text, f);
    fclose(f);
}

static void mkdirf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void mkdirf(const char *fmt, ...)
{
    char path[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(path, sizeof(path), fmt, ap);
    va_end(ap);
    struct vse_err err = {0};
    if (vse_mkdir_p(path, 0755, &err) < 0) {
        fprintf(stderr, "mkdir %s\n", err.msg);
        exit(2);
    }
}

static void make_rootfs(const struct env *e)
{
    static const char *const dirs[] = {"bin", "etc", "proc", "sys", "dev", "tmp", "mnt", "data"};
    for (size_t i = 0; i < VSE_ARRAY_SIZE(dirs); i++)
        mkdirf("%s/%s", e->rootfs, dirs[i]);
    char path[512];
    snprintf(path, sizeof(path), "%s/etc/passwd", e->rootfs);
    write_file(path, "root:x:0:0::/:/bin/sh\n");
    mkdirf("%s", e->host);
    snprintf(path, sizeof(path), "%s/hostfile", e->host);
    write_file(path, "host data\n");
}

/* The mountinfo line of mount point `mp` (the last one: the top of a stack), or NULL. */
static char *find_mount(const char *mp)
{
    _cleanup_free_ char *text = NULL;
    size_t len;
    struct vse_err err = {0};
    if (vse_read_file_at(AT_FDCWD, "/proc/self/mountinfo", &text, &len, &err) < 0)
        return NULL;
    char *found = NULL;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char copy[4096];
        snprintf(copy, sizeof(copy), "%s", line);
        char *f[6] = {0};
        char *s2 = NULL;
        size_t n = 0;
        for (char *t = strtok_r(copy, " ", &s2); t && n < 6; t = strtok_r(NULL, " ", &s2))
            f[n++] = t;
        if (n >= 5 && strcmp(f[4], mp) == 0) {
            free(found);
            found = vse_strdup(line);
        }
    }
    return found;
}

static bool has_mount(const char *mp)
{
    char *line = find_mount(mp);
    free(line);
    return line != NULL;
}

/* Does the mount at mp have fstype `type` and each comma-separated mount option of `opts`? */
static bool mount_has(const char *mp, const char *type, const char *opts)
{
    _cleanup_free_ char *line = find_mount(mp);
    if (!line)
        return false;
    char *dash = strstr(line, " - ");
    if (!dash)
        return false;
    if (type) {
        char want[64];
        snprintf(want, sizeof(want), " - %s ", type);
        if (strncmp(dash, want, strlen(want)) != 0)
            return false;
    }
    /* field 6: per-mount options */
    char *p = line;
    for (int i = 0; i < 5 && p; i++) {
        p = strchr(p, ' ');
        if (p)
            p++;
    }
    if (!p)
        return false;
    size_t optlen = strcspn(p, " ");
    _cleanup_free_ char *mopts = vse_strndup(p, optlen);
    _cleanup_free_ char *want = vse_strdup(opts ? opts : "");
    char *save = NULL;
    for (char *o = strtok_r(want, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
        bool hit = false;
        char *q = mopts;
        while (*q && !hit) {
            size_t l = strcspn(q, ",");
            hit = l == strlen(o) && strncmp(q, o, l) == 0;
            q += l + (q[l] == ',');
        }
        if (!hit)
            return false;
    }
    return true;
}

static bool is_chr(const char *path, unsigned int maj, unsigned int min)
{
    struct stat st;
    return lstat(path, &st) == 0 && S_ISCHR(st.st_mode) && major(st.st_rdev) == maj &&
           minor(st.st_rdev) == min;
}

static int write_errno(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return errno;
    int r = write(fd, "x", 1) == 1 ? 0 : errno;
    close(fd);
    return r;
}

static struct rootfs_ctx make_ctx(const struct env *e, const struct spec *s)
{
    return (struct rootfs_ctx){.spec = s, .bundle = e->base, .rootfs = e->rootfs};
}

/* prepare + pivot + finalize; on failure the error is copied to err. */
static int enter(const struct rootfs_ctx *ctx, struct vse_err *err)
{
    int r = rootfs_prepare(ctx, err);
    if (r == 0)
        r = rootfs_pivot(ctx, err);
    if (r == 0)
        r = rootfs_finalize(ctx, err);
    return r;
}

/* ------------------------------------------------------- the default bundle */

static struct spec_mount default_mounts[] = {
    {.destination = "/proc", .type = "proc", .source = "proc"},
    {.destination = "/dev", .type = "tmpfs", .source = "tmpfs",
     .options = OPTS("nosuid", "strictatime", "mode=755", "size=65536k")},
    {.destination = "/dev/pts", .type = "devpts", .source = "devpts",
     .options = OPTS("nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5")},
    {.destination = "/dev/shm", .type = "tmpfs", .source = "shm",
     .options = OPTS("nosuid", "noexec", "nodev", "mode=1777", "size=65536k")},
    {.destination = "/dev/mqueue", .type = "mqueue", .source = "mqueue",
     .options = OPTS("nosuid", "noexec", "nodev")},
    {.destination = "/sys", .type = "sysfs", .source = "sysfs",
     .options = OPTS("nosuid", "noexec", "nodev", "ro")},
    {.destination = "/sys/fs/cgroup", .type = "cgroup", .source = "cgroup",
     .options = OPTS("nosuid", "noexec", "nodev", "relatime", "ro")},
};

static struct spec_namespace default_ns[] = {
    {.type = SPEC_NS_MOUNT}, {.type = SPEC_NS_CGROUP},
};

static char *default_masked[] = {"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
                                 "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
                                 "/proc/sched_debug", "/sys/firmware", "/proc/scsi", NULL};
static char *default_readonly[] = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                                   "/proc/sysrq-trigger", NULL};

static void default_spec(struct spec *s, struct spec_linux *l, struct spec_root *root)
{
    *root = (struct spec_root){.path = "rootfs", .readonly = true};
    *l = (struct spec_linux){
        .namespaces = default_ns,
        .n_namespaces = VSE_ARRAY_SIZE(default_ns),
        .masked_paths = default_masked,
        .readonly_paths = default_readonly,
    };
    *s = (struct spec){
        .root = root,
        .mounts = default_mounts,
        .n_mounts = VSE_ARRAY_SIZE(default_mounts),
        .linux_ = l,
    };
}

static void test_default_bundle(const struct env *e)
{
    struct spec s;
    struct spec_linux l;
    struct spec_root root;
    default_spec(&s, &l, &root);
    struct rootfs_ctx ctx = make_ctx(e, &s);
    struct vse_err err = {0};
    int r = enter(&ctx, &err);
    CHECK(r == 0, "%s", err.msg);
    if (r < 0)
        return;
    char cwd[64];
    CHECK(getcwd(cwd, sizeof(cwd)) && strcmp(cwd, "/") == 0, "cwd %s", cwd);
    CHECK(access("/etc/passwd", F_OK) == 0, "the rootfs is /");
    CHECK(access(e->base, F_OK) != 0, "the host is out of sight");
    CHECK(mount_has("/proc", "proc", "rw"), "proc");
    CHECK(mount_has("/dev", "tmpfs", "nosuid"), "/dev tmpfs");
    CHECK(mount_has("/dev/pts", "devpts", "nosuid,noexec"), "devpts");
    CHECK(mount_has("/dev/shm", "tmpfs", "nosuid,nodev,noexec"), "shm");
    CHECK(mount_has("/dev/mqueue", "mqueue", "nosuid,nodev,noexec"), "mqueue");
    CHECK(mount_has("/sys", "sysfs", "ro,nosuid,nodev,noexec"), "sysfs ro");
    CHECK(mount_has("/sys/fs/cgroup", NULL, "ro,nosuid,nodev,noexec"), "cgroup ro");
    CHECK(mount_has("/", NULL, "ro"), "root.readonly");
    CHECK(write_errno("/newfile") == EROFS, "root is read-only: %s",
          strerror(write_errno("/newfile")));

    /* /dev defaults */
    CHECK(is_chr("/dev/null", 1, 3), "/dev/null");
    CHECK(is_chr("/dev/zero", 1, 5), "/dev/zero");
    CHECK(is_chr("/dev/full", 1, 7), "/dev/full");
    CHECK(is_chr("/dev/random", 1, 8), "/dev/random");
    CHECK(is_chr("/dev/urandom", 1, 9), "/dev/urandom");
    CHECK(is_chr("/dev/tty", 5, 0), "/dev/tty");
    char link[64] = "";
    CHECK(readlink("/dev/ptmx", link, sizeof(link) - 1) > 0 && strcmp(link, "pts/ptmx") == 0,
          "ptmx -> %s", link);
    memset(link, 0, sizeof(link));
    CHECK(readlink("/dev/fd", link, sizeof(link) - 1) > 0 && strcmp(link, "/proc/self/fd") == 0,
          "fd -> %s", link);
    struct stat st;
    CHECK(stat("/dev/null", &st) == 0 && (st.st_mode & 0777) == 0666, "null mode %o",
          st.st_mode & 0777);
    CHECK(write_errno("/dev/shm/x") == 0, "/dev/shm writable");

    /* the container sees a cgroup tree under /sys/fs/cgroup */
    bool hybrid = access("/sys/fs/cgroup/memory", F_OK) == 0;
    bool v2 = access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0;
    CHECK(hybrid || v2, "cgroup hierarchies mounted");
    if (hybrid) {
        CHECK(mount_has("/sys/fs/cgroup/memory", "cgroup", "ro"), "memory hierarchy ro");
        CHECK(access("/sys/fs/cgroup/memory/memory.limit_in_bytes", F_OK) == 0, "memory files");
        /* its own cgroup is the root it sees: the supervisor's group is not visible */
        CHECK(access("/sys/fs/cgroup/memory/process_api", F_OK) != 0, "own cgroup at root");
    }

    /* masked paths: files become /dev/null (reads empty), which ones exist depends on the
     * kernel's configuration */
    int masked_files = 0;
    for (size_t i = 0; default_masked[i]; i++) {
        struct stat ms;
        if (stat(default_masked[i], &ms) < 0 || S_ISDIR(ms.st_mode))
            continue;
        masked_files++;
        CHECK(is_chr(default_masked[i], 1, 3), "%s masked with /dev/null", default_masked[i]);
        int fd = open(default_masked[i], O_RDONLY);
        char c;
        CHECK(fd >= 0 && read(fd, &c, 1) == 0, "masked %s reads empty", default_masked[i]);
        if (fd >= 0)
            close(fd);
    }
    CHECK(masked_files > 0, "at least one masked file exists on this kernel");
    if (access("/sys/firmware", F_OK) == 0) {
        CHECK(mount_has("/sys/firmware", "tmpfs", "ro"), "/sys/firmware masked by tmpfs");
        DIR *d = opendir("/sys/firmware");
        int entries = 0;
        for (struct dirent *de; d && (de = readdir(d));)
            entries += de->d_name[0] != '.';
        if (d)
            closedir(d);
        CHECK(entries == 0, "masked dir is empty (%d entries)", entries);
    }
    /* readonly paths: read-only, the proc flags kept */
    for (size_t i = 0; default_readonly[i]; i++)
        if (access(default_readonly[i], F_OK) == 0)
            CHECK(mount_has(default_readonly[i], "proc", "ro"), "%s ro", default_readonly[i]);
    CHECK(mount_has("/proc/sys", "proc", "ro"), "/proc/sys ro");
    CHECK(write_errno("/proc/sys/kernel/hostname") == EROFS, "write /proc/sys fails");
}

/* ------------------------------------------------------------- bind mounts */

static void test_bind_mounts(const struct env *e)
{
    char sub[128], file[128];
    snprintf(sub, sizeof(sub), "%s/sub", e->host);
    mkdirf("%s", sub);
    /* a submount inside the bind source, for rbind and rro */
    CHECK(mount("tmpfs", sub, "tmpfs", 0, "size=64k") == 0, "tmpfs on %s: %s", sub,
          strerror(errno));
    snprintf(file, sizeof(file), "%s/hostfile", e->host);
    struct spec_mount mounts[] = {
        {.destination = "/proc", .type = "proc", .source = "proc"},
        {.destination = "/mnt/ro", .type = "bind", .source = (char *) e->host,
         .options = OPTS("rbind", "ro", "nosuid")},
        {.destination = "/mnt/rw", .type = "none", .source = (char *) e->host, .options = OPTS("bind")},
        {.destination = "/mnt/rro", .type = "bind", .source = (char *) e->host,
         .options = OPTS("rbind", "rro", "rnoexec")},
        {.destination = "/new/dir/file", .type = "bind", .source = file,
         .options = OPTS("bind", "ro")},
        {.destination = "/mnt/rel", .type = "bind", .source = "host", .options = OPTS("bind")},
        {.destination = "/mnt/tmp", .type = "tmpfs", .source = "tmpfs",
         .options = OPTS("size=1m", "mode=700", "noexec", "noatime", "uid=1000")},
    };
    struct spec s = {.mounts = mounts, .n_mounts = VSE_ARRAY_SIZE(mounts)};
    struct rootfs_ctx ctx = make_ctx(e, &s);
    struct vse_err err = {0};
    int r = enter(&ctx, &err);
    CHECK(r == 0, "%s", err.msg);
    if (r < 0)
        return;
    CHECK(mount_has("/mnt/ro", NULL, "ro,nosuid"), "bind ro");
    CHECK(write_errno("/mnt/ro/x") == EROFS, "write to ro bind");
    CHECK(mount_has("/mnt/ro/sub", "tmpfs", "rw"), "rbind keeps submounts, ro is not recursive");
    CHECK(mount_has("/mnt/rw", NULL, "rw"), "bind rw");
    CHECK(!has_mount("/mnt/rw/sub"), "plain bind is not recursive");
    CHECK(write_errno("/mnt/rw/x") == 0, "write to rw bind");
    CHECK(mount_has("/mnt/rro", NULL, "ro,noexec"), "rro top");
    CHECK(mount_has("/mnt/rro/sub", "tmpfs", "ro,noexec"), "rro submount");
    CHECK(mount_has("/new/dir/file", NULL, "ro"), "file bind, created destination");
    _cleanup_free_ char *text = NULL;
    size_t len;
    CHECK(vse_read_file_at(AT_FDCWD, "/new/dir/file", &text, &len, &err) == 0 &&
              strcmp(text, "host data\n") == 0,
          "file content");
    CHECK(access("/mnt/rel/hostfile", F_OK) == 0, "bundle-relative source");
    CHECK(mount_has("/mnt/tmp", "tmpfs", "rw,noexec,noatime"), "tmpfs flags");
    struct stat st;
    CHECK(stat("/mnt/tmp", &st) == 0 && (st.st_mode & 0777) == 0700 && st.st_uid == 1000,
          "tmpfs data options: mode %o uid %u", st.st_mode & 0777, st.st_uid);
}

/* ---------------------------------------------------- symlink destinations */

static void test_symlink_escape(const struct env *e)
{
    char link[256], escape[256], file[256];
    /* absolute and relative links pointing at the host directory (outside the rootfs) */
    snprintf(link, sizeof(link), "%s/evil", e->rootfs);
    CHECK(symlink(e->host, link) == 0, "symlink");
    snprintf(link, sizeof(link), "%s/mnt/evil2", e->rootfs);
    snprintf(escape, sizeof(escape), "../../../../../../../..%s", e->host);
    CHECK(symlink(escape, link) == 0, "symlink");
    snprintf(link, sizeof(link), "%s/etc/evilfile", e->rootfs);
    snprintf(file, sizeof(file), "%s/hostfile", e->host);
    CHECK(symlink(file, link) == 0, "symlink");
    snprintf(link, sizeof(link), "%s/dev", e->rootfs);
    struct spec_mount mounts[] = {
        {.destination = "/evil", .type = "tmpfs", .source = "tmpfs"},
        {.destination = "/mnt/evil2/sub", .type = "tmpfs", .source = "tmpfs"},
        {.destination = "/etc/evilfile", .type = "bind", .source = "/etc/hostname",
         .options = OPTS("bind")},
    };
    struct spec s = {.mounts = mounts, .n_mounts = VSE_ARRAY_SIZE(mounts)};
    struct rootfs_ctx ctx = make_ctx(e, &s);
    struct vse_err err = {0};
    int r = rootfs_prepare(&ctx, &err);
    CHECK(r == 0, "%s", err.msg);
    if (r < 0)
        return;
    /* nothing was mounted on the host directory or its file; everything landed inside */
    CHECK(!has_mount(e->host), "no mount on %s", e->host);
    char in[512];
    CHECK(!has_mount(file), "no mount on %s", file);
    snprintf(in, sizeof(in), "%s%s", e->rootfs, e->host);
    CHECK(mount_has(in, "tmpfs", NULL), "absolute link resolved inside: %s", in);
    snprintf(in, sizeof(in), "%s%s/sub", e->rootfs, e->host);
    CHECK(mount_has(in, "tmpfs", NULL), "relative link resolved inside: %s", in);
    snprintf(in, sizeof(in), "%s%s/hostfile", e->rootfs, e->host);
    CHECK(has_mount(in), "file link target made inside: %s", in);
    _cleanup_free_ char *text = NULL;
    size_t len;
    CHECK(vse_read_file_at(AT_FDCWD, file, &text, &len, &err) == 0 &&
              strcmp(text, "host data\n") == 0,
          "host file untouched");
}

/* ------------------------------------------------------------------ devices */

static void test_devices(const struct env *e)
{
    struct spec_device devs[] = {
        {.type = 'c', .path = "/dev/vsetest", .major = 1, .minor = 3,
         .file_mode = {true, 0600}, .uid = {true, 1000}, .gid = {true, 1001}},
        {.type = 'c', .path = "/dev/sub/dir/fuse", .major = 10, .minor = 229},
        {.type = 'b', .path = "/dev/vseloop", .major = 7, .minor = 0},
        {.type = 'p', .path = "/dev/vsefifo"},
        {.type = 'c', .path = "/dev/null", .major = 1, .minor = 3, .file_mode = {true, 0640}},
    };
    struct spec_mount mounts[] = {
        {.destination = "/dev", .type = "tmpfs", .source = "tmpfs", .options = OPTS("mode=755")},
    };
    struct spec_linux l = {.devices = devs, .n_devices = VSE_ARRAY_SIZE(devs)};
    struct spec s = {.mounts = mounts, .n_mounts = 1, .linux_ = &l};
    struct rootfs_ctx ctx = make_ctx(e, &s);
    struct vse_err err = {0};
    int r = enter(&ctx, &err);
    CHECK(r == 0, "%s", err.msg);
    if (r < 0)
        return;
    struct stat st = {0};
    CHECK(stat("/dev/vsetest", &st) == 0 && S_ISCHR(st.st_mode) && (st.st_mode & 07777) == 0600 &&
              st.st_uid == 1000 && st.st_gid == 1001 && st.st_rdev == makedev(1, 3),
          "vsetest mode %o uid %u gid %u", st.st_mode & 07777, st.st_uid, st.st_gid);
    CHECK(is_chr("/dev/sub/dir/fuse", 10, 229), "nested device");
    CHECK(stat("/dev/vseloop", &st) == 0 && S_ISBLK(st.st_mode) && st.st_rdev == makedev(7, 0),
          "block device");
    CHECK(stat("/dev/vsefifo", &st) == 0 && S_ISFIFO(st.st_mode), "fifo");
    CHECK(stat("/dev/null", &st) == 0 && (st.st_mode & 0777) == 0640,
          "config overrides a default device: mode %o", st.st_mode & 0777);
    CHECK(is_chr("/dev/zero", 1, 5), "defaults still made");
}

/* ------------------------------------------------------------------- errors */

static void expect_error(const struct env *e, struct spec *s, const char *prefix)
{
    struct rootfs_ctx ctx = make_ctx(e, s);
    struct vse_err err = {0};
    int r = enter(&ctx, &err);
    CHECK(r < 0 && strncmp(err.msg, prefix, strlen(prefix)) == 0, "got %d \"%s\", want \"%s\"",
          r, err.msg, prefix);
}

static void test_errors(const struct env *e)
{
    struct spec_mount bad_type[] = {
        {.destination = "/proc", .type = "proc", .source = "proc"},
        {.destination = "/tmp", .type = "tmpfs", .source = "tmpfs"},
        {.destination = "/x", .type = "vsenosuchfs", .source = "none"},
    };
    struct spec s = {.mounts = bad_type, .n_mounts = 3};
    expect_error(e, &s, "mounts[2] /x: mount: unknown filesystem type \"vsenosuchfs\"");

    struct spec_mount bad_src[] = {
        {.destination = "/mnt", .type = "bind", .source = "/vse-no-such-dir",
         .options = OPTS("rbind")},
    };
    s = (struct spec){.mounts = bad_src, .n_mounts = 1};
    expect_error(e, &s, "mounts[0] /mnt: bind source /vse-no-such-dir: No such file");

    struct spec_mount bad_opt[] = {
        {.destination = "/mnt", .type = "tmpfs", .source = "tmpfs", .options = OPTS("vsebad=1")},
    };
    s = (struct spec){.mounts = bad_opt, .n_mounts = 1};
    expect_error(e, &s, "mounts[0] /mnt: mount tmpfs: Invalid argument");

    struct spec_device bad_dev[] = {{.type = 'x', .path = "/dev/foo"}};
    struct spec_linux l = {.devices = bad_dev, .n_devices = 1};
    s = (struct spec){.linux_ = &l};
    expect_error(e, &s, "linux.devices[0] /dev/foo: type: unknown device type 'x'");

    struct spec_linux prop = {.rootfs_propagation = "sideways"};
    s = (struct spec){.linux_ = &prop};
    expect_error(e, &s, "linux.rootfsPropagation: unknown value \"sideways\"");
}

/* ---------------------------------------- masking with a fake /dev/null */

static void test_fake_dev_null(const struct env *e)
{
    /* No /dev mount: the image's /dev is used, and its "null" is a regular file. */
    char path[256];
    snprintf(path, sizeof(path), "%s/dev/null", e->rootfs);
    write_file(path, "not null\n");
    snprintf(path, sizeof(path), "%s/etc/secret", e->rootfs);
    write_file(path, "secret\n");
    struct spec_mount mounts[] = {{.destination = "/proc", .type = "proc", .source = "proc"}};
    struct spec_linux l = {.masked_paths = OPTS("/etc/secret")};
    struct spec s = {.mounts = mounts, .n_mounts = 1, .linux_ = &l};
    expect_error(e, &s, "linux.maskedPaths[0] /etc/secret: /dev/null is not the null device");
}

static void test_fake_dev_null_symlink(const struct env *e)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/dev/null", e->rootfs);
    CHECK(symlink("/etc/passwd", path) == 0, "symlink");
    snprintf(path, sizeof(path), "%s/etc/secret", e->rootfs);
    write_file(path, "secret\n");
    struct spec_linux l = {.masked_paths = OPTS("/etc/secret", "/vse-missing")};
    struct spec s = {.linux_ = &l};
    struct rootfs_ctx ctx = make_ctx(e, &s);
    struct vse_err err = {0};
    int r = enter(&ctx, &err);
    /* mknod of the default null fails with EEXIST and keeps the link; masking refuses it */
    CHECK(r < 0 && strstr(err.msg, "linux.maskedPaths[0] /etc/secret: /dev/null is not the null device"),
          "got %d \"%s\"", r, err.msg);
}

/* ---------------------------------------------------------- tmpcopyup etc */

static void test_tmpcopyup(const struct env *e)
{
    char path[256];
    mkdirf("%s/data/sub", e->rootfs);
    snprintf(path, sizeof(path), "%s/data/sub/f", e->rootfs);
    write_file(path, "copied\n");
    snprintf(path, sizeof(path), "%s/data/link", e->rootfs);
    CHECK(symlink("sub/f", path) == 0, "symlink");
    snprintf(path, sizeof(path), "%s/data", e->rootfs);
    CHECK(chmod(path, 0710) == 0, "chmod");
    struct spec_mount mounts[] = {
        {.destination = "/proc", .type = "proc", .source = "proc"},
        {.destination = "/data", .type = "tmpfs", .source = "tmpfs",
         .options = OPTS("tmpcopyup", "ro", "size=1m")},
    };
    struct spec s = {.mounts = mounts, .n_mounts = 2};
    struct rootfs_ctx ctx = make_ctx(e, &s);
    struct vse_err err = {0};
    int r = enter(&ctx, &err);
    CHECK(r == 0, "%s", err.msg);
    if (r < 0)
        return;
    CHECK(mount_has("/data", "tmpfs", "ro"), "tmpfs ro after copy");
    _cleanup_free_ char *text = NULL;
    size_t len;
    CHECK(vse_read_file_at(AT_FDCWD, "/data/link", &text, &len, &err) == 0 &&
              strcmp(text, "copied\n") == 0,
          "content copied up");
    struct stat st;
    CHECK(stat("/data", &st) == 0 && (st.st_mode & 0777) == 0710, "mode kept: %o",
          st.st_mode & 0777);
}

static void test_idmap(const struct env *e)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/hostfile", e->host);
    CHECK(chown(path, 0, 0) == 0, "chown");
    struct spec_id_mapping map = {.container_id = 0, .host_id = 1000, .size = 1};
    struct spec_mount mounts[] = {
        {.destination = "/proc", .type = "proc", .source = "proc"},
        {.destination = "/mnt/idmapped", .type = "bind", .source = (char *) e->host,
         .options = OPTS("bind", "idmap"), .uid_mappings = &map, .n_uid_mappings = 1,
         .gid_mappings = &map, .n_gid_mappings = 1},
    };
    struct spec s = {.mounts = mounts, .n_mounts = 2};
    struct rootfs_ctx ctx = make_ctx(e, &s);
    struct vse_err err = {0};
    int r = enter(&ctx, &err);
    CHECK(r == 0, "%s", err.msg);
    if (r < 0)
        return;
    struct stat st;
    CHECK(stat("/mnt/idmapped/hostfile", &st) == 0 && st.st_uid == 1000 && st.st_gid == 1000,
          "idmapped owner %u:%u", st.st_uid, st.st_gid);
    CHECK(mount_has("/mnt/idmapped", NULL, "idmapped"), "mountinfo says idmapped");
}

static void test_readonly_keeps_flags(const struct env *e)
{
    struct spec_mount mounts[] = {
        {.destination = "/proc", .type = "proc", .source = "proc",
         .options = OPTS("nosuid", "nodev", "noexec")},
        {.destination = "/tmp", .type = "tmpfs", .source = "tmpfs", .options = OPTS("nosuid")},
    };
    struct spec_linux l = {.readonly_paths = OPTS("/proc/sys", "/tmp", "/vse-missing"),
                           .masked_paths = OPTS("/tmp/sub")};
    struct spec s = {.mounts = mounts, .n_mounts = 2, .linux_ = &l};
    struct rootfs_ctx ctx = make_ctx(e, &s);
    struct vse_err err = {0};
    int r = rootfs_prepare(&ctx, &err);
    if (r == 0) {
        /* something inside /tmp before finalize: masked and read-only apply to it as well */
        mkdirf("%s/tmp/sub", e->rootfs);
        r = rootfs_pivot(&ctx, &err);
    }
    if (r == 0)
        r = rootfs_finalize(&ctx, &err);
    CHECK(r == 0, "%s", err.msg);
    if (r < 0)
        return;
    CHECK(mount_has("/proc/sys", "proc", "ro,nosuid,nodev,noexec"), "/proc/sys flags kept");
    CHECK(mount_has("/tmp", "tmpfs", "ro,nosuid"), "/tmp ro, nosuid kept");
    CHECK(mount_has("/tmp/sub", "tmpfs", "ro"), "masked dir inside a read-only path");
    CHECK(write_errno("/tmp/x") == EROFS, "write /tmp");
}

static void test_no_pivot_and_propagation(const struct env *e)
{
    struct spec_mount mounts[] = {{.destination = "/proc", .type = "proc", .source = "proc"}};
    struct spec_linux l = {.rootfs_propagation = "rshared"};
    struct spec s = {.mounts = mounts, .n_mounts = 1, .linux_ = &l};
    struct rootfs_ctx ctx = make_ctx(e, &s);
    ctx.no_pivot = true;
    struct vse_err err = {0};
    int r = enter(&ctx, &err);
    CHECK(r == 0, "%s", err.msg);
    if (r < 0)
        return;
    CHECK(access("/etc/passwd", F_OK) == 0 && access(e->base, F_OK) != 0, "chrooted");
    _cleanup_free_ char *line = find_mount("/");
    CHECK(line && strstr(line, " shared:"), "/ is shared: %s", line ? line : "(none)");
}

/* rshared with pivot_root: pivot needs the new root not shared, so prepare makes / rslave and
 * finalize makes the new root shared afterwards. */
static void test_pivot_rshared(const struct env *e)
{
    struct spec_mount mounts[] = {{.destination = "/proc", .type = "proc", .source = "proc"}};
    struct spec_linux l = {.rootfs_propagation = "rshared"};
    struct spec s = {.mounts = mounts, .n_mounts = 1, .linux_ = &l};
    struct rootfs_ctx ctx = make_ctx(e, &s);
    struct vse_err err = {0};
    int r = enter(&ctx, &err);
    CHECK(r == 0, "%s", err.msg);
    if (r < 0)
        return;
    _cleanup_free_ char *line = find_mount("/");
    CHECK(line && strstr(line, " shared:"), "/ is shared: %s", line ? line : "(none)");
    _cleanup_free_ char *proc = find_mount("/proc");
    CHECK(proc && strstr(proc, " shared:"), "rshared reaches /proc: %s", proc ? proc : "");
}

static void test_console(const struct env *e)
{
    int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    CHECK(master >= 0 && grantpt(master) == 0 && unlockpt(master) == 0, "pty");
    if (master < 0)
        return;
    const char *slave = ptsname(master);
    struct stat want;
    CHECK(slave && stat(slave, &want) == 0, "stat slave");
    struct spec_mount mounts[] = {
        {.destination = "/dev", .type = "tmpfs", .source = "tmpfs"},
    };
    struct spec s = {.mounts = mounts, .n_mounts = 1};
    struct rootfs_ctx ctx = make_ctx(e, &s);
    struct vse_err err = {0};
    int r = rootfs_prepare(&ctx, &err);
    if (r == 0)
        r = rootfs_bind_console(&ctx, slave, &err);
    if (r == 0)
        r = rootfs_pivot(&ctx, &err);
    CHECK(r == 0, "%s", err.msg);
    struct stat st;
    CHECK(r == 0 && stat("/dev/console", &st) == 0 && S_ISCHR(st.st_mode) &&
              st.st_rdev == want.st_rdev,
          "/dev/console is the pty");
    close(master);
}

/* The container's pty comes from its own devpts: found there, refused without one. */
static void test_open_ptmx(const struct env *e)
{
    struct vse_err err = {0};
    _cleanup_close_ int rootfd = open(e->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
    CHECK(rootfd >= 0, "open rootfs");
    int fd = rootfs_open_ptmx(rootfd, &err);
    CHECK(fd < 0 && strstr(err.msg, "mount devpts with newinstance"), "no devpts: %d \"%s\"",
          fd, err.msg);
    struct spec_mount mounts[] = {
        {.destination = "/dev", .type = "tmpfs", .source = "tmpfs"},
        {.destination = "/dev/pts", .type = "devpts", .source = "devpts",
         .options = OPTS("newinstance", "ptmxmode=0666")},
    };
    struct spec s = {.mounts = mounts, .n_mounts = 2};
    struct rootfs_ctx ctx = make_ctx(e, &s);
    CHECK(rootfs_prepare(&ctx, &err) == 0, "%s", err.msg);
    _cleanup_close_ int root2 = open(e->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
    _cleanup_close_ int ptmx = rootfs_open_ptmx(root2, &err);
    CHECK(ptmx >= 0, "%s", err.msg);
    unsigned int n;
    CHECK(ptmx >= 0 && ioctl(ptmx, TIOCGPTN, &n) == 0 && n == 0, "first pty of a new devpts");
}

static void test_console_symlink(const struct env *e)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/dev/console", e->rootfs);
    CHECK(symlink("/etc/passwd", path) == 0, "symlink");
    struct spec s = {0};
    struct rootfs_ctx ctx = make_ctx(e, &s);
    ctx.console_path = "/dev/null";
    struct vse_err err = {0};
    int r = rootfs_prepare(&ctx, &err);
    CHECK(r < 0 && strstr(err.msg, "/dev/console: console: not a regular file"),
          "got %d \"%s\"", r, err.msg);
}

/* ---------------------------------------------------------- user namespace */

static void userns_body(const struct env *e)
{
    struct spec_mount mounts[] = {
        {.destination = "/proc", .type = "proc", .source = "proc"},
        {.destination = "/dev", .type = "tmpfs", .source = "tmpfs",
         .options = OPTS("nosuid", "mode=755")},
        {.destination = "/dev/pts", .type = "devpts", .source = "devpts",
         .options = OPTS("nosuid", "noexec", "newinstance", "ptmxmode=0666")},
        {.destination = "/sys", .type = "sysfs", .source = "sysfs",
         .options = OPTS("nosuid", "noexec", "nodev", "ro")},
        {.destination = "/sys/fs/cgroup", .type = "cgroup", .source = "cgroup",
         .options = OPTS("nosuid", "noexec", "nodev", "ro")},
    };
    struct spec_device devs[] = {{.type = 'c', .path = "/dev/fuse", .major = 10, .minor = 229}};
    struct spec_namespace ns[] = {{.type = SPEC_NS_USER}, {.type = SPEC_NS_MOUNT},
                                  {.type = SPEC_NS_PID}};
    struct spec_linux l = {.namespaces = ns, .n_namespaces = 3, .devices = devs,
                           .n_devices = access("/dev/fuse", F_OK) == 0 ? 1 : 0,
                           .masked_paths = OPTS("/proc/keys", "/proc/timer_list"),
                           .readonly_paths = OPTS("/proc/sys")};
    struct spec s = {.mounts = mounts, .n_mounts = VSE_ARRAY_SIZE(mounts), .linux_ = &l};
    struct rootfs_ctx ctx = make_ctx(e, &s);
    ctx.in_user_ns = true;
    struct vse_err err = {0};
    int r = enter(&ctx, &err);
    CHECK(r == 0, "%s", err.msg);
    if (r < 0)
        return;
    CHECK(is_chr("/dev/null", 1, 3) && mount_has("/dev/null", NULL, NULL),
          "/dev/null bound from the host");
    CHECK(is_chr("/dev/urandom", 1, 9), "/dev/urandom");
    if (l.n_devices)
        CHECK(is_chr("/dev/fuse", 10, 229) && mount_has("/dev/fuse", NULL, NULL), "fuse bound");
    CHECK(mount_has("/sys", "sysfs", "ro"), "sysfs fell back to a read-only rbind");
    CHECK(mount_has("/sys/fs/cgroup", NULL, "ro"), "cgroup tree");
    if (access("/sys/fs/cgroup/memory", F_OK) == 0)
        CHECK(access("/sys/fs/cgroup/memory/process_api", F_OK) != 0, "own memory cgroup");
    if (access("/proc/keys", F_OK) == 0)
        CHECK(is_chr("/proc/keys", 1, 3), "masked in a user namespace");
    CHECK(write_errno("/proc/sys/kernel/hostname") == EROFS, "readonly in a user namespace");
}

/* The body runs as pid 1 of a new pid namespace inside a new user namespace (root mapped to
 * root, so the rootfs stays readable), the way a rootless-style init sees the world. */
static void test_user_namespace(const struct env *e)
{
    int go[2], ready[2];
    if (pipe(go) < 0 || pipe(ready) < 0) {
        CHECK(false, "pipe");
        return;
    }
    pid_t child = fork();
    if (child == 0) {
        close(go[1]);
        close(ready[0]);
        char c = unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID) == 0 ? 'y' : 'n';
        if (write(ready[1], &c, 1) != 1 || read(go[0], &c, 1) != 1 || c != 'y')
            _exit(3);
        pid_t init = fork();
        if (init == 0) {
            userns_body(e);
            _exit(failures ? 1 : 0);
        }
        int st;
        waitpid(init, &st, 0);
        _exit(WIFEXITED(st) ? WEXITSTATUS(st) : 4);
    }
    close(go[0]);
    close(ready[1]);
    char c = 'n';
    CHECK(read(ready[0], &c, 1) == 1 && c == 'y', "unshare user namespace");
    char path[64];
    struct vse_err err = {0};
    snprintf(path, sizeof(path), "/proc/%d/uid_map", child);
    bool ok = c == 'y' && vse_write_file_at(AT_FDCWD, path, "0 0 4294967295", 14, &err) == 0;
    snprintf(path, sizeof(path), "/proc/%d/gid_map", child);
    ok = ok && vse_write_file_at(AT_FDCWD, path, "0 0 4294967295", 14, &err) == 0;
    CHECK(ok, "id maps: %s", err.msg);
    c = ok ? 'y' : 'n';
    if (write(go[1], &c, 1) != 1)
        CHECK(false, "pipe write");
    int st;
    waitpid(child, &st, 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "user namespace body: status %d", st);
    close(go[1]);
    close(ready[0]);
}

/* ------------------------------------------------------------------ runner */

struct test_case {
    const char *name;
    void (*fn)(const struct env *e);
    bool host_cgroupns; /* stay in the host's cgroup namespace (the spec asks for none) */
};

static const struct test_case cases[] = {
    {"default_bundle", test_default_bundle},
    {"bind_mounts", test_bind_mounts},
    {"symlink_escape", test_symlink_escape},
    {"devices", test_devices},
    {"errors", test_errors},
    {"fake_dev_null", test_fake_dev_null},
    {"fake_dev_null_symlink", test_fake_dev_null_symlink},
    {"tmpcopyup", test_tmpcopyup},
    {"idmap", test_idmap},
    {"readonly_keeps_flags", test_readonly_keeps_flags},
    {"no_pivot_and_propagation", test_no_pivot_and_propagation},
    {"pivot_rshared", test_pivot_rshared},
    {"user_namespace", test_user_namespace, true},
    {"console", test_console},
    {"open_ptmx", test_open_ptmx},
    {"console_symlink", test_console_symlink},
};

static int run_child(const struct test_case *tc, const struct env *e)
{
    if (unshare(CLONE_NEWNS | (tc->host_cgroupns ? 0 : CLONE_NEWCGROUP)) < 0) {
        fprintf(stderr, "  unshare: %s\n", strerror(errno));
        return 2;
    }
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
        fprintf(stderr, "  make / rprivate: %s\n", strerror(errno));
        return 2;
    }
    make_rootfs(e);
    tc->fn(e);
    return failures ? 1 : 0;
}

static bool host_has_mount_under(const char *base)
{
    _cleanup_free_ char *text = NULL;
    size_t len;
    struct vse_err err = {0};
    if (vse_read_file_at(AT_FDCWD, "/proc/self/mountinfo", &text, &len, &err) < 0)
        return true;
    return strstr(text, base) != NULL;
}

static int run_case(const struct test_case *tc, const char *filter)
{
    if (filter && !strstr(tc->name, filter))
        return 0;
    struct env e;
    snprintf(e.base, sizeof(e.base), "/tmp/vse-rootfs-XXXXXX");
    if (!mkdtemp(e.base)) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(e.rootfs, sizeof(e.rootfs), "%s/rootfs", e.base);
    snprintf(e.host, sizeof(e.host), "%s/host", e.base);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        int rc = run_child(tc, &e);
        /* exit() lets LeakSanitizer check the child; it needs the /proc of its own view */
        if (access("/proc/self/task", R_OK) == 0)
            exit(rc);
        _exit(rc);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    int failed = !WIFEXITED(status) || WEXITSTATUS(status) != 0;
    if (host_has_mount_under(e.base)) {
        fprintf(stderr, "  FAIL: a mount under %s leaked to the host\n", e.base);
        failed = 1;
    }
    struct vse_err err = {0};
    if (vse_rm_rf(e.base, &err) < 0)
        fprintf(stderr, "  cleanup %s: %s\n", e.base, err.msg);
    printf("%s %s\n", failed ? "FAIL" : "ok  ", tc->name);
    return failed;
}

int main(int argc, char **argv)
{
    if (geteuid() != 0) {
        printf("SKIP: rootfs tests need root (mount namespaces, mknod, pivot_root)\n");
        return 77;
    }
    const char *filter = argc > 1 ? argv[1] : NULL;
    int failed = 0;
    for (size_t i = 0; i < VSE_ARRAY_SIZE(cases); i++)
        failed += run_case(&cases[i], filter);
    printf("%d failed\n", failed);
    return failed ? 1 : 0;
}
