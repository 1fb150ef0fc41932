/* mode.c: which cgroup layout the host has (v1, hybrid, v2) and which hierarchies it mounts.
 *
 * The real layout is read from statfs() magic numbers and /proc/self/mountinfo. A mount_root
 * that is a plain directory (the unit tests' scratch trees) is recognised by its files:
 * <root>/cgroup.controllers means v2, <root>/unified/cgroup.controllers hybrid, otherwise v1
 * with one directory a hierarchy, named after its controllers ("cpu,cpuacct"). */
#include "cgroups/internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"

static const char *const controller_names[CG_CONTROLLER_COUNT] = {
    [CG_CPU] = "cpu",         [CG_CPUACCT] = "cpuacct", [CG_CPUSET] = "cpuset",
    [CG_MEMORY] = "memory",   [CG_DEVICES] = "devices", [CG_FREEZER] = "freezer",
    [CG_BLKIO] = "blkio",     [CG_PIDS] = "pids",       [CG_HUGETLB] = "hugetlb",
    [CG_NET_CLS] = "net_cls", [CG_NET_PRIO] = "net_prio", [CG_PERF_EVENT] = "perf_event",
    [CG_RDMA] = "rdma",       [CG_MISC] = "misc",       [CG_IO] = "io",
};

const char *cg_controller_name(enum cg_controller c)
{
    return (unsigned) c < CG_CONTROLLER_COUNT ? controller_names[c] : "?";
}

int cg_controller_from_name(const char *name)
{
    for (int i = 0; i < CG_CONTROLLER_COUNT; i++)
        if (strcmp(controller_names[i], name) == 0)
            return i;
    return -1;
}

/* Controllers named in a comma or space separated list ("rw,cpu,cpuacct", "cpuset io"). */
static unsigned controllers_in_list(const char *list)
{
    unsigned bits = 0;
    _cleanup_free_ char *copy = vse_strdup(list);
    char *save = NULL;
    for (char *tok = strtok_r(copy, ", \n\t", &save); tok; tok = strtok_r(NULL, ", \n\t", &save)) {
        int c = cg_controller_from_name(tok);
        if (c >= 0)
            bits |= CG_BIT(c);
    }
    return bits;
}

static bool is_file(const char *dir, const char *name)
{
    _cleanup_free_ char *p = vse_asprintf("%s/%s", dir, name);
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

int cgroup_detect_mode(const char *mount_root, enum cgroup_mode *mode, struct vse_err *err)
{
    const char *root = mount_root ? mount_root : CG_DEFAULT_ROOT;
    struct statfs fs;
    if (statfs(root, &fs) < 0)
        return vse_fail_errno(err, "cgroup mount root %s", root);
    if (fs.f_type == CGROUP2_SUPER_MAGIC) {
        *mode = CGROUP_MODE_V2;
        return 0;
    }
    _cleanup_free_ char *unified = vse_asprintf("%s/unified", root);
    struct statfs ufs;
    if (statfs(unified, &ufs) == 0 && ufs.f_type == CGROUP2_SUPER_MAGIC) {
        *mode = CGROUP_MODE_HYBRID;
        return 0;
    }
    if (fs.f_type == TMPFS_MAGIC && !is_file(root, "cgroup.controllers") &&
        !is_file(unified, "cgroup.controllers")) {
        *mode = CGROUP_MODE_V1;
        return 0;
    }
    /* A scratch tree: tell the layout by its files. */
    if (is_file(root, "cgroup.controllers"))
        *mode = CGROUP_MODE_V2;
    else if (is_file(unified, "cgroup.controllers"))
        *mode = CGROUP_MODE_HYBRID;
    else
        *mode = CGROUP_MODE_V1;
    return 0;
}

void cg_host_clear(struct cg_host *host)
{
    for (size_t i = 0; i < host->n_mounts; i++) {
        free(host->mounts[i].name);
        free(host->mounts[i].dir);
    }
    free(host->mounts);
    host->mounts = NULL;
    host->n_mounts = 0;
}

static void host_add(struct cg_host *host, const char *name, const char *dir, unsigned ctrls,
                     bool v2)
{
    host->mounts = vse_reallocarray(host->mounts, host->n_mounts + 1, sizeof(*host->mounts));
    host->mounts[host->n_mounts++] = (struct cg_mount){
        .name = vse_strdup(name), .dir = vse_strdup(dir), .ctrls = ctrls, .v2 = v2};
}

static int read_v2_controllers(const char *dir, unsigned *ctrls, struct vse_err *err)
{
    _cleanup_free_ char *p = vse_asprintf("%s/cgroup.controllers", dir);
    _cleanup_free_ char *text = NULL;
    int ret = vse_read_file_at(AT_FDCWD, p, &text, NULL, err);
    if (ret < 0)
        return ret;
    *ctrls = controllers_in_list(text);
    return 0;
}

/* The v1 cgroup mounts of /proc/self/mountinfo: mount point and super options
 * ("rw,cpu,cpuacct"). Read and parsed once per probe. */
struct v1_mountinfo {
    char **dirs, **opts;
    size_t n;
};

static void v1_mountinfo_add_line(struct v1_mountinfo *mi, const char *line)
{
    char mnt[4096], fstype[64], superopts[4096];
    /* id parent maj:min root mountpoint options [optional...] - fstype source superopts */
    if (sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1)
        return;
    const char *sep = strstr(line, " - ");
    if (sep == NULL || sscanf(sep + 3, "%63s %*s %4095s", fstype, superopts) != 2 ||
        strcmp(fstype, "cgroup") != 0)
        return;
    mi->dirs = vse_reallocarray(mi->dirs, mi->n + 1, sizeof(*mi->dirs));
    mi->opts = vse_reallocarray(mi->opts, mi->n + 1, sizeof(*mi->opts));
    mi->dirs[mi->n] = vse_strdup(mnt);
    mi->opts[mi->n++] = vse_strdup(superopts);
}

static void v1_mountinfo_read(struct v1_mountinfo *mi)
{
    _cleanup_free_ char *text = NULL;
    struct vse_err ignored = {0};
    if (vse_read_file_at(AT_FDCWD, "/proc/self/mountinfo", &text, NULL, &ignored) < 0)
        return;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
        v1_mountinfo_add_line(mi, line);
}

static void v1_mountinfo_clear(struct v1_mountinfo *mi)
{
    for (size_t i = 0; i < mi->n; i++) {
        free(mi->dirs[i]);
        free(mi->opts[i]);
    }
    free(mi->dirs);
    free(mi->opts);
}

/* The super options of the cgroup mount at dir; NULL when dir is not a cgroup mount point
 * (a scratch tree). The last mount on a mount point is the visible one. */
static const char *mountinfo_cgroup_options(const struct v1_mountinfo *mi, const char *dir)
{
    for (size_t i = mi->n; i-- > 0;)
        if (strcmp(mi->dirs[i], dir) == 0)
            return mi->opts[i];
    return NULL;
}

/* Another directory already probed that is the same v1 hierarchy (the same superblock), as
 * when one hierarchy is bind-mounted twice (cpu and cpuacct as two mounts of cpu,cpuacct).
 * Joining it twice would only repeat the mkdir and the cgroup.procs write. */
static bool same_hierarchy_seen(const dev_t *devs, size_t n, dev_t dev)
{
    for (size_t i = 0; i < n; i++)
        if (devs[i] == dev)
            return true;
    return false;
}

struct v1_probe {
    struct v1_mountinfo mountinfo;
    dev_t *devs;     /* st_dev of each cgroup mount taken so far */
    size_t n_devs;
};

static void probe_v1_entry(struct cg_host *host, struct v1_probe *pr, const char *root,
                           const char *name)
{
    if (strcmp(name, "unified") == 0 || name[0] == '.')
        return;
    _cleanup_free_ char *dir = vse_asprintf("%s/%s", root, name);
    struct stat st;
    /* cpu -> cpu,cpuacct style symlinks name the same hierarchy twice: take directories. */
    if (lstat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
        return;
    const char *opts = mountinfo_cgroup_options(&pr->mountinfo, dir);
    unsigned ctrls = controllers_in_list(opts ? opts : name);
    /* Named hierarchies (name=systemd) carry no controller: vse does not join them. */
    if (ctrls == 0)
        return;
    /* Only real mounts can be told apart by st_dev (a scratch tree is one file system). */
    if (opts && same_hierarchy_seen(pr->devs, pr->n_devs, st.st_dev))
        return;
    if (!is_file(dir, "cgroup.procs"))
        return;
    if (opts) {
        pr->devs = vse_reallocarray(pr->devs, pr->n_devs + 1, sizeof(*pr->devs));
        pr->devs[pr->n_devs++] = st.st_dev;
    }
    host_add(host, name, dir, ctrls, false);
}

static int probe_v1(struct cg_host *host, const char *root, struct vse_err *err)
{
    _cleanup_closedir_ DIR *d = opendir(root);
    if (d == NULL)
        return vse_fail_errno(err, "cgroup mount root %s", root);
    struct v1_probe pr = {0};
    v1_mountinfo_read(&pr.mountinfo);
    struct dirent *de;
    while ((de = readdir(d)) != NULL)
        probe_v1_entry(host, &pr, root, de->d_name);
    v1_mountinfo_clear(&pr.mountinfo);
    free(pr.devs);
    return 0;
}

int cg_host_probe(const char *mount_root, struct cg_host *host, struct vse_err *err)
{
    const char *root = mount_root ? mount_root : CG_DEFAULT_ROOT;
    *host = (struct cg_host){0};
    int ret = cgroup_detect_mode(root, &host->mode, err);
    if (ret < 0)
        return ret;
    if (host->mode == CGROUP_MODE_V2) {
        unsigned ctrls = 0;
        ret = read_v2_controllers(root, &ctrls, err);
        if (ret < 0)
            return ret;
        host_add(host, "unified", root, ctrls, true);
        return 0;
    }
    ret = probe_v1(host, root, err);
    if (ret < 0) {
        cg_host_clear(host);
        return ret;
    }
    if (host->mode == CGROUP_MODE_HYBRID) {
        _cleanup_free_ char *unified = vse_asprintf("%s/unified", root);
        unsigned ctrls = 0;
        ret = read_v2_controllers(unified, &ctrls, err);
        if (ret < 0) {
            cg_host_clear(host);
            return ret;
        }
        host_add(host, "unified", unified, ctrls, true);
    }
    return 0;
}

const struct cg_mount *cg_host_find(const struct cg_host *host, enum cg_controller c)
{
    for (size_t i = 0; i < host->n_mounts; i++)
        if (!host->mounts[i].v2 && (host->mounts[i].ctrls & CG_BIT(c)))
            return &host->mounts[i];
    for (size_t i = 0; i < host->n_mounts; i++)
        if (host->mounts[i].v2 && (host->mounts[i].ctrls & CG_BIT(c)))
            return &host->mounts[i];
    return NULL;
}
