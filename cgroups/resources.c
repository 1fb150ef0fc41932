/* resources.c: what v1 and v2 share: value conversions, the device rule list, the unified
 * map, and small write helpers. */
#include "cgroups/internal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/util.h"

uint64_t cg_shares_to_weight(uint64_t shares)
{
    if (shares == 0)
        return 0;
    if (shares <= 2)
        return 1;
    if (shares >= 262144)
        return 10000;
    /* A parabola in log space through (2, 1), (1024, 100) and (262144, 10000), so the v1
     * default (1024) lands on the v2 default (100). */
    double l = log2((double) shares);
    double exponent = (l * l + 125.0 * l) / 612.0 - 7.0 / 34.0;
    return (uint64_t) ceil(pow(10.0, exponent));
}

uint64_t cg_blkio_to_io_weight(uint64_t weight)
{
    if (weight == 0)
        return 0;
    if (weight < 10)
        weight = 10;
    return 1 + (weight - 10) * 9999 / 990;
}

int cg_swap_to_v2(int64_t swap, int64_t limit, int64_t *out, struct vse_err *err)
{
    if (swap == -1 || swap == 0) {
        *out = swap;
        return 0;
    }
    if (limit == 0 || limit == -1)
        return vse_fail(err, EINVAL, "linux.resources.memory.swap: a swap limit needs a "
                        "memory limit");
    if (limit < 0 || swap < 0)
        return vse_fail(err, EINVAL, "linux.resources.memory: invalid values (limit %lld, "
                        "swap %lld)", (long long) limit, (long long) swap);
    if (swap < limit)
        return vse_fail(err, EINVAL, "linux.resources.memory.swap: %lld is below the memory "
                        "limit %lld (swap is memory+swap)", (long long) swap, (long long) limit);
    *out = swap - limit;
    return 0;
}

/* ---- devices ---- */

/* runc's default allow list, appended after the config's rules (so they win): mknod of
 * anything, and the devices every container gets in /dev. */
static const struct cg_dev_rule default_rules[] = {
    {true, 'c', -1, -1, CG_DEV_MKNOD},
    {true, 'b', -1, -1, CG_DEV_MKNOD},
    {true, 'c', 1, 3, 7},   /* /dev/null */
    {true, 'c', 1, 8, 7},   /* /dev/random */
    {true, 'c', 1, 7, 7},   /* /dev/full */
    {true, 'c', 5, 0, 7},   /* /dev/tty */
    {true, 'c', 1, 5, 7},   /* /dev/zero */
    {true, 'c', 1, 9, 7},   /* /dev/urandom */
    {true, 'c', 136, -1, 7}, /* /dev/pts/N */
    {true, 'c', 5, 2, 7},   /* /dev/ptmx */
};

static int parse_access(const char *s, unsigned *out, size_t i, struct vse_err *err)
{
    *out = 0;
    if (s == NULL) {
        *out = CG_DEV_MKNOD | CG_DEV_READ | CG_DEV_WRITE;
        return 0;
    }
    for (const char *p = s; *p; p++) {
        switch (*p) {
        case 'r': *out |= CG_DEV_READ; break;
        case 'w': *out |= CG_DEV_WRITE; break;
        case 'm': *out |= CG_DEV_MKNOD; break;
        default:
            return vse_fail(err, EINVAL, "linux.resources.devices[%zu].access: \"%s\": only "
                            "r, w and m are allowed", i, s);
        }
    }
    return 0;
}

int cg_dev_rules(const struct spec_resources *res, const struct cg_dev_rule *extra,
                 size_t n_extra, struct cg_dev_rule **rules, size_t *n, struct vse_err *err)
{
    size_t cfg = res ? res->n_devices : 0;
    size_t total = cfg + n_extra + VSE_ARRAY_SIZE(default_rules);
    _cleanup_free_ struct cg_dev_rule *r = vse_zalloc(total * sizeof(*r));
    for (size_t i = 0; i < cfg; i++) {
        const struct spec_device_rule *d = &res->devices[i];
        char type = d->type ? d->type : 'a';
        if (type != 'a' && type != 'c' && type != 'b')
            return vse_fail(err, EINVAL, "linux.resources.devices[%zu].type: \"%c\": must be "
                            "a, c or b", i, type);
        r[i] = (struct cg_dev_rule){.allow = d->allow, .type = type, .major = d->major,
                                    .minor = d->minor};
        int ret = parse_access(d->access, &r[i].access, i, err);
        if (ret < 0)
            return ret;
    }
    if (n_extra)
        memcpy(r + cfg, extra, n_extra * sizeof(*extra));
    memcpy(r + cfg + n_extra, default_rules, sizeof(default_rules));
    *rules = steal_ptr(r);
    *n = total;
    return 0;
}

/* ---- unified ---- */

bool cg_unified_key_valid(const char *key)
{
    if (key == NULL || key[0] == '\0' || key[0] == '.' || strchr(key, '/'))
        return false;
    if (strstr(key, ".."))
        return false;
    const char *dot = strchr(key, '.');
    return dot != NULL && dot[1] != '\0';
}

int cg_apply_unified_map(struct cgroup_manager *m, const struct spec_resources *res,
                         struct vse_err *err)
{
    if (res == NULL || res->n_unified == 0)
        return 0;
    struct cg_hier *h = cg_find_v2(m);
    if (h == NULL)
        return vse_fail(err, ENOTSUP, "linux.resources.unified: this host has no cgroup v2 "
                        "hierarchy under %s", m->mount_root);
    for (size_t i = 0; i < res->n_unified; i++) {
        const struct spec_kv *kv = &res->unified[i];
        if (!cg_unified_key_valid(kv->key))
            return vse_fail(err, EINVAL, "linux.resources.unified: invalid key \"%s\": it must "
                            "name a file of the container's cgroup (controller.name, no \"/\" "
                            "or \"..\")", kv->key ? kv->key : "");
        _cleanup_free_ char *field = vse_asprintf("linux.resources.unified.%s", kv->key);
        if (!cg_file_exists(h, kv->key))
            return vse_fail(err, ENOENT, "%s: %s/%s: No such file or directory (is the "
                            "controller enabled for the container's cgroup?)", field, h->path,
                            kv->key);
        int ret = cg_write(h, field, kv->key, kv->value ? kv->value : "", err);
        if (ret < 0)
            return ret;
    }
    return 0;
}

/* ---- writes v1 and v2 make the same way (resolve: the backend's hierarchy lookup) ---- */

int cg_apply_cpuset(struct cgroup_manager *m, cg_need_fn resolve, const struct spec_cpu *cpu,
                    struct vse_err *err)
{
    if (cpu == NULL || (cpu->cpus == NULL && cpu->mems == NULL))
        return 0;
    struct cg_hier *h = resolve(m, CG_CPUSET, "linux.resources.cpu.cpus", err);
    if (h == NULL)
        return -err->code;
    int ret = 0;
    if (cpu->cpus && cpu->cpus[0])
        ret = cg_write(h, "linux.resources.cpu.cpus", "cpuset.cpus", cpu->cpus, err);
    if (ret == 0 && cpu->mems && cpu->mems[0])
        ret = cg_write(h, "linux.resources.cpu.mems", "cpuset.mems", cpu->mems, err);
    return ret;
}

/* pids.max reads the same on v1 and v2: a number, or "max" for zero and below. */
int cg_apply_pids(struct cgroup_manager *m, cg_need_fn resolve, const struct spec_resources *res,
                  struct vse_err *err)
{
    if (!res->pids_limit.set)
        return 0;
    struct cg_hier *h = resolve(m, CG_PIDS, "linux.resources.pids.limit", err);
    if (h == NULL)
        return -err->code;
    if (res->pids_limit.value <= 0)
        return cg_write(h, "linux.resources.pids.limit", "pids.max", "max", err);
    return cg_writef(h, "linux.resources.pids.limit", "pids.max", err, "%lld",
                     (long long) res->pids_limit.value);
}

int cg_check_before_update(const struct cg_hier *h, const struct spec_memory *mem,
                           const char *usage_file, struct vse_err *err)
{
    if (!mem->check_before_update || !mem->limit.set || mem->limit.value <= 0)
        return 0;
    uint64_t usage = 0;
    int ret = cg_read_u64(h, usage_file, &usage, err);
    if (ret < 0)
        return vse_err_prefix(err, "linux.resources.memory.checkBeforeUpdate");
    if (usage > (uint64_t) mem->limit.value)
        return vse_fail(err, EBUSY, "linux.resources.memory.limit: %lld is below the current "
                        "usage %llu (%s/%s; checkBeforeUpdate is set)",
                        (long long) mem->limit.value, (unsigned long long) usage, h->path,
                        usage_file);
    return 0;
}

static int write_throttle_list(const struct cg_hier *h, const struct cg_throttle_kind *kind,
                               const struct spec_blkio_throttle *t, size_t n,
                               cg_throttle_writer write_one, struct vse_err *err)
{
    for (size_t i = 0; i < n; i++) {
        _cleanup_free_ char *field = vse_asprintf("%s[%zu]", kind->field, i);
        int ret = write_one(h, field, kind, &t[i], err);
        if (ret < 0)
            return ret;
    }
    return 0;
}

int cg_write_throttles(const struct cg_hier *h, const struct spec_blkio *b,
                       cg_throttle_writer write_one, struct vse_err *err)
{
    static const struct cg_throttle_kind kinds[] = {
        {"linux.resources.blockIO.throttleReadBpsDevice", "blkio.throttle.read_bps_device",
         "rbps"},
        {"linux.resources.blockIO.throttleWriteBpsDevice", "blkio.throttle.write_bps_device",
         "wbps"},
        {"linux.resources.blockIO.throttleReadIOPSDevice", "blkio.throttle.read_iops_device",
         "riops"},
        {"linux.resources.blockIO.throttleWriteIOPSDevice", "blkio.throttle.write_iops_device",
         "wiops"},
    };
    const struct spec_blkio_throttle *lists[] = {b->throttle_read_bps, b->throttle_write_bps,
                                                 b->throttle_read_iops, b->throttle_write_iops};
    const size_t counts[] = {b->n_throttle_read_bps, b->n_throttle_write_bps,
                             b->n_throttle_read_iops, b->n_throttle_write_iops};
    for (size_t k = 0; k < VSE_ARRAY_SIZE(kinds); k++) {
        int ret = write_throttle_list(h, &kinds[k], lists[k], counts[k], write_one, err);
        if (ret < 0)
            return ret;
    }
    return 0;
}
