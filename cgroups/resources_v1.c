/* resources_v1.c: linux.resources written to cgroup v1 files (v1 and hybrid hosts). On a
 * hybrid host hugetlb and the unified map go to the v2 side (resources_v2.c helpers). */
#include "cgroups/internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/util.h"

/* The hierarchy carrying a controller, or an error naming the resource that needs it. */
static struct cg_hier *need(struct cgroup_manager *m, enum cg_controller c, const char *field,
                            struct vse_err *err)
{
    struct cg_hier *h = cg_find(m, c);
    if (h == NULL || h->v2)
        vse_fail(err, ENOTSUP, "%s: the %s controller is not available: no cgroup v1 "
                 "hierarchy under %s carries it", field, cg_controller_name(c), m->mount_root);
    return h && !h->v2 ? h : NULL;
}

static int write_i64(struct cg_hier *h, const char *field, const char *file, int64_t v,
                     struct vse_err *err)
{
    return cg_writef(h, field, file, err, "%lld", (long long) v);
}

/* ---- memory ---- */

/* memory.limit_in_bytes must never exceed memory.memsw.limit_in_bytes: raise memsw before the
 * limit, lower it after (runc's order, decided from the current memsw limit). */
static int v1_memory_and_swap(struct cg_hier *h, const struct spec_memory *mem,
                              struct vse_err *err)
{
    int64_t limit = mem->limit.set ? mem->limit.value : 0;
    int64_t swap = mem->swap.set ? mem->swap.value : 0;
    if (limit == -1 && swap == 0)
        swap = -1; /* unlimited memory: memory+swap unlimited too */
    if (limit != 0 && swap != 0) {
        uint64_t cur = 0;
        bool raise = swap == -1;
        if (!raise) {
            int ret = cg_read_u64(h, "memory.memsw.limit_in_bytes", &cur, err);
            if (ret < 0)
                return vse_err_prefix(err, "linux.resources.memory.swap");
            raise = (uint64_t) swap >= cur;
        }
        const char *first = raise ? "memory.memsw.limit_in_bytes" : "memory.limit_in_bytes";
        const char *second = raise ? "memory.limit_in_bytes" : "memory.memsw.limit_in_bytes";
        int ret = write_i64(h, raise ? "linux.resources.memory.swap" : "linux.resources.memory.limit",
                            first, raise ? swap : limit, err);
        if (ret == 0)
            ret = write_i64(h, raise ? "linux.resources.memory.limit" : "linux.resources.memory.swap",
                            second, raise ? limit : swap, err);
        return ret;
    }
    if (limit != 0) {
        int ret = write_i64(h, "linux.resources.memory.limit", "memory.limit_in_bytes", limit, err);
        if (ret < 0)
            return ret;
    }
    if (swap != 0)
        return write_i64(h, "linux.resources.memory.swap", "memory.memsw.limit_in_bytes", swap,
                         err);
    return 0;
}

static int v1_memory(struct cgroup_manager *m, const struct spec_memory *mem, bool update,
                     struct vse_err *err)
{
    if (mem == NULL)
        return 0;
    struct cg_hier *h = need(m, CG_MEMORY, "linux.resources.memory", err);
    if (h == NULL)
        return -err->code;
    int ret = update ? cg_check_before_update(h, mem, "memory.usage_in_bytes", err) : 0;
    if (ret == 0)
        ret = v1_memory_and_swap(h, mem, err);
    if (ret == 0 && mem->reservation.set)
        ret = write_i64(h, "linux.resources.memory.reservation", "memory.soft_limit_in_bytes",
                        mem->reservation.value, err);
    if (ret == 0 && mem->kernel.set)
        vse_log(m->log, VSE_LOG_WARN, "linux.resources.memory.kernel: ignored: kernel memory "
                "limits are deprecated and not enforced by current kernels (as runc)");
    if (ret == 0 && mem->kernel_tcp.set)
        ret = write_i64(h, "linux.resources.memory.kernelTCP", "memory.kmem.tcp.limit_in_bytes",
                        mem->kernel_tcp.value, err);
    if (ret == 0 && mem->swappiness.set) {
        if (mem->swappiness.value > 100)
            return vse_fail(err, EINVAL, "linux.resources.memory.swappiness: %llu is above 100",
                            (unsigned long long) mem->swappiness.value);
        ret = cg_writef(h, "linux.resources.memory.swappiness", "memory.swappiness", err, "%llu",
                        (unsigned long long) mem->swappiness.value);
    }
    if (ret == 0 && mem->disable_oom_killer.set)
        ret = cg_write(h, "linux.resources.memory.disableOOMKiller", "memory.oom_control",
                       mem->disable_oom_killer.value ? "1" : "0", err);
    if (ret == 0 && mem->use_hierarchy.set && !mem->use_hierarchy.value)
        vse_log(m->log, VSE_LOG_WARN, "linux.resources.memory.useHierarchy: ignored: the kernel "
                "always uses the hierarchy");
    return ret;
}

/* ---- cpu, cpuset ---- */

static int v1_cpu(struct cgroup_manager *m, const struct spec_cpu *cpu, struct vse_err *err)
{
    if (cpu == NULL)
        return 0;
    bool any = cpu->shares.set || cpu->period.set || cpu->quota.set || cpu->burst.set ||
               cpu->realtime_period.set || cpu->realtime_runtime.set || cpu->idle.set;
    if (!any)
        return 0;
    struct cg_hier *h = need(m, CG_CPU, "linux.resources.cpu", err);
    if (h == NULL)
        return -err->code;
    int ret = 0;
    if (cpu->shares.set && cpu->shares.value != 0)
        ret = cg_writef(h, "linux.resources.cpu.shares", "cpu.shares", err, "%llu",
                        (unsigned long long) cpu->shares.value);
    if (ret == 0 && cpu->period.set && cpu->period.value != 0)
        ret = cg_writef(h, "linux.resources.cpu.period", "cpu.cfs_period_us", err, "%llu",
                        (unsigned long long) cpu->period.value);
    if (ret == 0 && cpu->quota.set && cpu->quota.value != 0)
        ret = write_i64(h, "linux.resources.cpu.quota", "cpu.cfs_quota_us", cpu->quota.value, err);
    if (ret == 0 && cpu->burst.set)
        ret = cg_writef(h, "linux.resources.cpu.burst", "cpu.cfs_burst_us", err, "%llu",
                        (unsigned long long) cpu->burst.value);
    if (ret == 0 && cpu->realtime_period.set && cpu->realtime_period.value != 0)
        ret = cg_writef(h, "linux.resources.cpu.realtimePeriod", "cpu.rt_period_us", err, "%llu",
                        (unsigned long long) cpu->realtime_period.value);
    if (ret == 0 && cpu->realtime_runtime.set && cpu->realtime_runtime.value != 0)
        ret = write_i64(h, "linux.resources.cpu.realtimeRuntime", "cpu.rt_runtime_us",
                        cpu->realtime_runtime.value, err);
    if (ret == 0 && cpu->idle.set)
        ret = write_i64(h, "linux.resources.cpu.idle", "cpu.idle", cpu->idle.value, err);
    return ret;
}

/* ---- blkio ---- */

/* CFQ's blkio.weight is gone from current kernels; BFQ offers blkio.bfq.weight instead. */
static const char *weight_file(struct cg_hier *h, const char *cfq, const char *bfq)
{
    if (cg_file_exists(h, cfq) || !cg_file_exists(h, bfq))
        return cfq;
    return bfq;
}

static int v1_throttle(const struct cg_hier *h, const char *field,
                       const struct cg_throttle_kind *kind, const struct spec_blkio_throttle *t,
                       struct vse_err *err)
{
    return cg_writef(h, field, kind->v1_file, err, "%lld:%lld %llu", (long long) t->major,
                     (long long) t->minor, (unsigned long long) t->rate);
}

static int v1_weight_devices(struct cg_hier *h, const struct spec_blkio *b, struct vse_err *err)
{
    const char *wfile = weight_file(h, "blkio.weight_device", "blkio.bfq.weight_device");
    for (size_t i = 0; i < b->n_weight_device; i++) {
        const struct spec_blkio_weight_device *wd = &b->weight_device[i];
        _cleanup_free_ char *f = vse_asprintf("linux.resources.blockIO.weightDevice[%zu]", i);
        int ret = 0;
        if (wd->weight.set)
            ret = cg_writef(h, f, wfile, err, "%lld:%lld %llu", (long long) wd->major,
                            (long long) wd->minor, (unsigned long long) wd->weight.value);
        if (ret == 0 && wd->leaf_weight.set)
            ret = cg_writef(h, f, "blkio.leaf_weight_device", err, "%lld:%lld %llu",
                            (long long) wd->major, (long long) wd->minor,
                            (unsigned long long) wd->leaf_weight.value);
        if (ret < 0)
            return ret;
    }
    return 0;
}

static int v1_blkio(struct cgroup_manager *m, const struct spec_blkio *b, struct vse_err *err)
{
    if (b == NULL)
        return 0;
    struct cg_hier *h = need(m, CG_BLKIO, "linux.resources.blockIO", err);
    if (h == NULL)
        return -err->code;
    int ret = 0;
    if (b->weight.set && b->weight.value != 0)
        ret = cg_writef(h, "linux.resources.blockIO.weight",
                        weight_file(h, "blkio.weight", "blkio.bfq.weight"), err, "%llu",
                        (unsigned long long) b->weight.value);
    if (ret == 0 && b->leaf_weight.set && b->leaf_weight.value != 0)
        ret = cg_writef(h, "linux.resources.blockIO.leafWeight", "blkio.leaf_weight", err,
                        "%llu", (unsigned long long) b->leaf_weight.value);
    if (ret == 0)
        ret = v1_weight_devices(h, b, err);
    if (ret == 0)
        ret = cg_write_throttles(h, b, v1_throttle, err);
    return ret;
}

/* ---- hugetlb (v1 hierarchy, or the unified one on a hybrid host) ---- */

static bool page_size_valid(const char *s)
{
    size_t digits = strspn(s, "0123456789");
    return digits > 0 && (strcmp(s + digits, "KB") == 0 || strcmp(s + digits, "MB") == 0 ||
                          strcmp(s + digits, "GB") == 0);
}

static int hugetlb(struct cgroup_manager *m, const struct spec_resources *res,
                   struct vse_err *err)
{
    if (res->n_hugepage_limits == 0)
        return 0;
    struct cg_hier *h = cg_find(m, CG_HUGETLB);
    if (h == NULL) {
        struct cg_hier *v2 = cg_find_v2(m);
        if (v2)
            return vse_fail(err, ENOTSUP, "linux.resources.hugepageLimits: the hugetlb "
                            "controller is not available: no v1 hierarchy carries it and it "
                            "is not enabled for %s (its parent's cgroup.subtree_control lacks "
                            "hugetlb)", v2->path);
        return vse_fail(err, ENOTSUP, "linux.resources.hugepageLimits: the hugetlb controller "
                        "is not available: no hierarchy under %s carries it", m->mount_root);
    }
    for (size_t i = 0; i < res->n_hugepage_limits; i++) {
        const struct spec_hugepage_limit *l = &res->hugepage_limits[i];
        _cleanup_free_ char *field = vse_asprintf("linux.resources.hugepageLimits[%zu]", i);
        if (l->page_size == NULL || !page_size_valid(l->page_size))
            return vse_fail(err, EINVAL, "%s.pageSize: \"%s\": expected a size like 2MB", field,
                            l->page_size ? l->page_size : "");
        _cleanup_free_ char *file = vse_asprintf(h->v2 ? "hugetlb.%s.max"
                                                       : "hugetlb.%s.limit_in_bytes",
                                                 l->page_size);
        int ret = cg_writef(h, field, file, err, "%llu", (unsigned long long) l->limit);
        if (ret < 0)
            return ret;
        _cleanup_free_ char *rsvd = vse_asprintf(h->v2 ? "hugetlb.%s.rsvd.max"
                                                       : "hugetlb.%s.rsvd.limit_in_bytes",
                                                 l->page_size);
        if (cg_file_exists(h, rsvd)) {
            ret = cg_writef(h, field, rsvd, err, "%llu", (unsigned long long) l->limit);
            if (ret < 0)
                return ret;
        }
    }
    return 0;
}

int cg_apply_hugetlb(struct cgroup_manager *m, const struct spec_resources *res,
                     struct vse_err *err)
{
    return hugetlb(m, res, err);
}

/* ---- network ---- */

static int v1_network(struct cgroup_manager *m, const struct spec_resources *res,
                      struct vse_err *err)
{
    if (res->net_class_id.set) {
        struct cg_hier *h = need(m, CG_NET_CLS, "linux.resources.network.classID", err);
        if (h == NULL)
            return -err->code;
        int ret = cg_writef(h, "linux.resources.network.classID", "net_cls.classid", err, "%llu",
                            (unsigned long long) res->net_class_id.value);
        if (ret < 0)
            return ret;
    }
    if (res->n_net_priorities == 0)
        return 0;
    struct cg_hier *h = need(m, CG_NET_PRIO, "linux.resources.network.priorities", err);
    if (h == NULL)
        return -err->code;
    for (size_t i = 0; i < res->n_net_priorities; i++) {
        _cleanup_free_ char *f = vse_asprintf("linux.resources.network.priorities[%zu]", i);
        int ret = cg_writef(h, f, "net_prio.ifpriomap", err, "%s %u",
                            res->net_priorities[i].name, res->net_priorities[i].priority);
        if (ret < 0)
            return ret;
    }
    return 0;
}

/* ---- devices ---- */

static void format_rule(const struct cg_dev_rule *r, char *buf, size_t len)
{
    char major[24] = "*", minor[24] = "*", access[4] = "";
    if (r->major >= 0)
        snprintf(major, sizeof(major), "%lld", (long long) r->major);
    if (r->minor >= 0)
        snprintf(minor, sizeof(minor), "%lld", (long long) r->minor);
    size_t a = 0;
    if (r->access & CG_DEV_READ)
        access[a++] = 'r';
    if (r->access & CG_DEV_WRITE)
        access[a++] = 'w';
    if (r->access & CG_DEV_MKNOD)
        access[a++] = 'm';
    access[a] = '\0';
    if (r->type == 'a')
        snprintf(buf, len, "a");
    else
        snprintf(buf, len, "%c %s:%s %s", r->type, major, minor, access);
}

/* v1 applies each write in order: "a" resets to allow/deny all, later rules add or remove
 * exceptions, which gives the spec's "last matching rule wins" for the usual lists. */
static int v1_devices(struct cgroup_manager *m, const struct spec_resources *res, bool update,
                      struct vse_err *err)
{
    if (update && res->n_devices == 0)
        return 0;
    struct cg_hier *h = need(m, CG_DEVICES, "linux.resources.devices", err);
    if (h == NULL)
        return res->n_devices ? -err->code : (vse_err_clear(err), 0);
    _cleanup_free_ struct cg_dev_rule *rules = NULL;
    size_t n = 0;
    int ret = cg_dev_rules(res, m->dev_extra, m->n_dev_extra, &rules, &n, err);
    if (ret < 0)
        return ret;
    for (size_t i = 0; i < n; i++) {
        char line[96];
        format_rule(&rules[i], line, sizeof(line));
        _cleanup_free_ char *f = i < res->n_devices
                                     ? vse_asprintf("linux.resources.devices[%zu]", i)
                                     : vse_strdup("linux.resources.devices (default rules)");
        ret = cg_write(h, f, rules[i].allow ? "devices.allow" : "devices.deny", line, err);
        if (ret < 0)
            return ret;
    }
    return 0;
}

int cg_apply_v1(struct cgroup_manager *m, const struct spec_resources *res, bool update,
                struct vse_err *err)
{
    int ret = v1_devices(m, res, update, err);
    if (ret == 0)
        ret = v1_memory(m, res->memory, update, err);
    if (ret == 0)
        ret = v1_cpu(m, res->cpu, err);
    if (ret == 0)
        ret = cg_apply_cpuset(m, need, res->cpu, err);
    if (ret == 0)
        ret = cg_apply_pids(m, need, res, err);
    if (ret == 0)
        ret = v1_blkio(m, res->block_io, err);
    if (ret == 0)
        ret = hugetlb(m, res, err);
    if (ret == 0)
        ret = v1_network(m, res, err);
    if (ret == 0)
        ret = cg_apply_unified_map(m, res, err);
    return ret;
}
