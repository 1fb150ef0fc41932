/* fs_paths.c: where a container's cgroup lives and which hierarchies it joins. */
#include "cgroups/internal.h"

#include <errno.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/util.h"

static int count_components(const char *rel)
{
    int n = 0;
    for (const char *p = rel; *p;) {
        while (*p == '/')
            p++;
        if (*p == '\0')
            break;
        n++;
        while (*p && *p != '/')
            p++;
    }
    return n;
}

/* Collapses repeated slashes and drops leading/trailing ones; rejects "." and ".." parts. */
static int normalise(const char *in, char **out, struct vse_err *err)
{
    _cleanup_free_ char *buf = vse_zalloc(strlen(in) + 1);
    size_t used = 0;
    for (const char *p = in; *p;) {
        while (*p == '/')
            p++;
        if (*p == '\0')
            break;
        size_t len = strcspn(p, "/");
        if ((len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.'))
            return vse_fail(err, EINVAL, "linux.cgroupsPath: \"%s\": \".\" and \"..\" are not "
                            "allowed", in);
        if (used)
            buf[used++] = '/';
        memcpy(buf + used, p, len);
        used += len;
        p += len;
    }
    buf[used] = '\0';
    *out = steal_ptr(buf);
    return 0;
}

int cg_compute_rel(const char *id, const char *cgroups_path, char **rel, int *removable,
                   struct vse_err *err)
{
    if (cgroups_path == NULL || cgroups_path[0] == '\0') {
        if (id == NULL || id[0] == '\0' || strchr(id, '/') || strcmp(id, ".") == 0 ||
            strcmp(id, "..") == 0)
            return vse_fail(err, EINVAL, "cgroups: invalid container id \"%s\"", id ? id : "");
        *rel = vse_asprintf(CG_VSE_PARENT "/%s", id);
        *removable = 2;
        return 0;
    }
    _cleanup_free_ char *norm = NULL;
    int ret = normalise(cgroups_path, &norm, err);
    if (ret < 0)
        return ret;
    if (norm[0] == '\0')
        return vse_fail(err, EINVAL, "linux.cgroupsPath: \"%s\": refusing to use a "
                        "hierarchy's root cgroup", cgroups_path);
    if (cgroups_path[0] == '/') {
        /* An absolute path belongs to whoever chose it: vse removes only the leaf. */
        *rel = steal_ptr(norm);
        *removable = 1;
        return 0;
    }
    *rel = vse_asprintf(CG_VSE_PARENT "/%s", norm);
    *removable = count_components(*rel);
    return 0;
}

static bool wants_unified(const struct spec_resources *res)
{
    return res && (res->n_hugepage_limits > 0 || res->n_unified > 0);
}

/* On v1 and hybrid hosts the container joins every v1 hierarchy that carries a controller:
 * the freezer (pause, kill-all), devices (the default deny list), memory, pids, cpu,
 * cpuacct, cpuset and blkio are all needed for basic operation or accounting (events, ps),
 * and a process left in the root of any hierarchy would escape its limits. Named
 * hierarchies (name=systemd) are not joined. The hybrid unified hierarchy is joined only when
 * the config asks for hugetlb or unified keys: it carries nothing else here. */
bool cg_hier_wanted(const struct cg_host *host, const struct cg_mount *mnt,
                    const struct spec_resources *res)
{
    if (!mnt->v2)
        return mnt->ctrls != 0;
    if (host->mode == CGROUP_MODE_V2)
        return true;
    return wants_unified(res);
}
