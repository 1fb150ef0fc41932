/* resources_v2.c: linux.resources written to cgroup v2 files (pure v2 hosts). Values the v2
 * interface has no file for are converted the way runc and crun do (see docs/cgroups.md). */
#include "cgroups/internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/util.h"

static struct cg_hier *need_v2(struct cgroup_manager *m, enum cg_controller c,
                               const char *field, struct vse_err *err)
{
    struct cg_hier *h = cg_find_v2(m);
    if (h && (h->ctrls & CG_BIT(c)))
        return h;
    vse_fail(err, ENOTSUP, "%s: the %s controller is not enabled for %s (its parent's "
             "cgroup.subtree_control lacks it)", field, cg_controller_name(c),
             h ? h->path : m->mount_root);
    return NULL;
}

/* -1 (and, for limits, anything negative) is "max" in v2 files. */
static int write_limit(struct cg_hier *h, const char *field, const char *file, int64_t v,
                       struct vse_err *err)
{
    if (v < 0)
        return cg_write(h, field, file, "max", err);
    return cg_writef(h, field, file, err, "%lld", (long long) v);
}

static void warn_ignored(struct cgroup_manager *m, const char *field, const char *why)
{
    vse_log(m->log, VSE_LOG_WARN, "%s: ignored on cgroup v2: %s", field, why);
}

/* ---- memory ---- */

static int v2_swap(struct cg_hier *h, const struct spec_memory *mem, struct vse_err *err)
{
    if (!mem->swap.set || mem->swap.value == 0)
        return 0;
    int64_t limit = mem->limit.set ? mem->limit.value : 0;
    if (!mem->limit.set) {
        uint64_t cur = 0;
        int ret = cg_read_u64(h, "memory.max", &cur, err);
        if (ret < 0)
            return vse_err_prefix(err, "linux.resources.memory.swap");
        limit = cur == UINT64_MAX ? -1 : (int64_t) cur;
    }
    int64_t v2 = 0;
    int ret = cg_swap_to_v2(mem->swap.value, limit, &v2, err);
    if (ret < 0)
        return ret;
    return write_limit(h, "linux.resources.memory.swap", "memory.swap.max", v2, err);
}

static int v2_memory(struct cgroup_manager *m, const struct spec_memory *mem, bool update,
                     struct vse_err *err)
{
    if (mem == NULL)
        return 0;
    struct cg_hier *h = need_v2(m, CG_MEMORY, "linux.resources.memory", err);
    if (h == NULL)
        return -err->code;
    int ret = update ? cg_check_before_update(h, mem, "memory.current", err) : 0;
    if (ret == 0 && mem->limit.set && mem->limit.value != 0)
        ret = write_limit(h, "linux.resources.memory.limit", "memory.max", mem->limit.value, err);
    if (ret == 0)
        ret = v2_swap(h, mem, err);
    if (ret == 0 && mem->reservation.set && mem->reservation.value != 0)
        ret = write_limit(h, "linux.resources.memory.reservation", "memory.low",
                          mem->reservation.value, err);
    if (mem->swappiness.set)
        warn_ignored(m, "linux.resources.memory.swappiness", "no per-cgroup swappiness");
    if (mem->disable_oom_killer.set && mem->disable_oom_killer.value)
        warn_ignored(m, "linux.resources.memory.disableOOMKiller", "v2 cannot disable it");
    if (mem->kernel.set)
        warn_ignored(m, "linux.resources.memory.kernel", "kernel memory is always accounted");
    if (mem->kernel_tcp.set)
        warn_ignored(m, "linux.resources.memory.kernelTCP", "tcp memory is always accounted");
    return ret;
}

/* ---- cpu, cpuset ---- */

static int v2_cpu_max(struct cg_hier *h, const struct spec_cpu *cpu, struct vse_err *err)
{
    int64_t quota = cpu->quota.set ? cpu->quota.value : 0;
    uint64_t period = cpu->period.set ? cpu->period.value : 0;
    if (quota == 0 && period == 0)
        return 0;
    char value[64];
    int n = quota > 0 ? snprintf(value, sizeof(value), "%lld", (long long) quota)
                      : snprintf(value, sizeof(value), "max");
    if (period != 0)
        snprintf(value + n, sizeof(value) - (size_t) n, " %llu", (unsigned long long) period);
    return cg_write(h, cpu->quota.set ? "linux.resources.cpu.quota" : "linux.resources.cpu.period",
                    "cpu.max", value, err);
}

static int v2_cpu(struct cgroup_manager *m, const struct spec_cpu *cpu, struct vse_err *err)
{
    if (cpu == NULL)
        return 0;
    if ((cpu->realtime_period.set && cpu->realtime_period.value) ||
        (cpu->realtime_runtime.set && cpu->realtime_runtime.value))
        return vse_fail(err, ENOTSUP, "linux.resources.cpu.realtimeRuntime/realtimePeriod: "
                        "not supported on cgroup v2");
    bool any = cpu->shares.set || cpu->period.set || cpu->quota.set || cpu->burst.set ||
               cpu->idle.set;
    if (!any)
        return 0;
    struct cg_hier *h = need_v2(m, CG_CPU, "linux.resources.cpu", err);
    if (h == NULL)
        return -err->code;
    int ret = 0;
    if (cpu->shares.set && cpu->shares.value != 0)
        ret = cg_writef(h, "linux.resources.cpu.shares", "cpu.weight", err, "%llu",
                        (unsigned long long) cg_shares_to_weight(cpu->shares.value));
    if (ret == 0)
        ret = v2_cpu_max(h, cpu, err);
    if (ret == 0 && cpu->burst.set)
        ret = cg_writef(h, "linux.resources.cpu.burst", "cpu.max.burst", err, "%llu",
                        (unsigned long long) cpu->burst.value);
    if (ret == 0 && cpu->idle.set)
        ret = cg_writef(h, "linux.resources.cpu.idle", "cpu.idle", err, "%lld",
                        (long long) cpu->idle.value);
    return ret;
}

/* ---- io ---- */

static int v2_throttle(const struct cg_hier *h, const char *field,
                       const struct cg_throttle_kind *kind, const struct spec_blkio_throttle *t,
                       struct vse_err *err)
{
    if (t->rate == 0)
        return cg_writef(h, field, "io.max", err, "%lld:%lld %s=max", (long long) t->major,
                         (long long) t->minor, kind->v2_key);
    return cg_writef(h, field, "io.max", err, "%lld:%lld %s=%llu", (long long) t->major,
                     (long long) t->minor, kind->v2_key, (unsigned long long) t->rate);
}

/* BFQ takes blkio's own 10-1000 scale in io.bfq.weight; io.weight needs the conversion. */
static int v2_io_weights(struct cg_hier *h, const struct spec_blkio *b, struct vse_err *err)
{
    bool bfq = cg_file_exists(h, "io.bfq.weight");
    int ret = 0;
    if (b->weight.set && b->weight.value != 0)
        ret = bfq ? cg_writef(h, "linux.resources.blockIO.weight", "io.bfq.weight", err, "%llu",
                              (unsigned long long) b->weight.value)
                  : cg_writef(h, "linux.resources.blockIO.weight", "io.weight", err, "%llu",
                              (unsigned long long) cg_blkio_to_io_weight(b->weight.value));
    for (size_t i = 0; ret == 0 && i < b->n_weight_device; i++) {
        const struct spec_blkio_weight_device *wd = &b->weight_device[i];
        if (!wd->weight.set)
            continue;
        _cleanup_free_ char *f = vse_asprintf("linux.resources.blockIO.weightDevice[%zu]", i);
        ret = bfq ? cg_writef(h, f, "io.bfq.weight", err, "%lld:%lld %llu", (long long) wd->major,
                              (long long) wd->minor, (unsigned long long) wd->weight.value)
                  : cg_writef(h, f, "io.weight", err, "%lld:%lld %llu", (long long) wd->major,
                              (long long) wd->minor,
                              (unsigned long long) cg_blkio_to_io_weight(wd->weight.value));
    }
    return ret;
}

static int v2_io(struct cgroup_manager *m, const struct spec_blkio *b, struct vse_err *err)
{
    if (b == NULL)
        return 0;
    struct cg_hier *h = need_v2(m, CG_IO, "linux.resources.blockIO", err);
    if (h == NULL)
        return -err->code;
    if (b->leaf_weight.set)
        warn_ignored(m, "linux.resources.blockIO.leafWeight", "no leaf weights");
    int ret = v2_io_weights(h, b, err);
    if (ret == 0)
        ret = cg_write_throttles(h, b, v2_throttle, err);
    return ret;
}

/* ---- devices: an eBPF program on the cgroup ---- */

static int v2_devices(struct cgroup_manager *m, const struct spec_resources *res, bool update,
                      struct vse_err *err)
{
    if (update && res->n_devices == 0)
        return 0;
    struct cg_hier *h = cg_find_v2(m);
    if (h == NULL)
        return 0;
    _cleanup_free_ struct cg_dev_rule *rules = NULL;
    size_t n = 0;
    int ret = cg_dev_rules(res, m->dev_extra, m->n_dev_extra, &rules, &n, err);
    if (ret == 0)
        ret = cg_bpf_devices_apply(h->path, rules, n, err);
    return ret < 0 ? vse_err_prefix(err, "linux.resources.devices") : 0;
}

int cg_apply_v2(struct cgroup_manager *m, const struct spec_resources *res, bool update,
                struct vse_err *err)
{
    if (res->net_class_id.set || res->n_net_priorities)
        return vse_fail(err, ENOTSUP, "linux.resources.network: cgroup v2 has no net_cls or "
                        "net_prio controller");
    int ret = v2_devices(m, res, update, err);
    if (ret == 0)
        ret = v2_memory(m, res->memory, update, err);
    if (ret == 0)
        ret = v2_cpu(m, res->cpu, err);
    if (ret == 0)
        ret = cg_apply_cpuset(m, need_v2, res->cpu, err);
    if (ret == 0)
        ret = cg_apply_pids(m, need_v2, res, err);
    if (ret == 0)
        ret = v2_io(m, res->block_io, err);
    if (ret == 0)
        ret = cg_apply_hugetlb(m, res, err);
    if (ret == 0)
        ret = cg_apply_unified_map(m, res, err);
    return ret;
}
