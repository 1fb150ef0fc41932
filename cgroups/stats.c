/* stats.c: usage counters for `events` and the OOM notification. Stats are best effort: a
 * counter whose file the host lacks stays 0 (a missing controller is not an error here). */
#include "cgroups/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"

static uint64_t u64_or_zero(const struct cg_hier *h, const char *file)
{
    uint64_t v = 0;
    struct vse_err ignored = {0};
    if (h == NULL || cg_read_u64(h, file, &v, &ignored) < 0)
        return 0;
    return v;
}

static uint64_t keyed_or_zero(const struct cg_hier *h, const char *file, const char *key)
{
    uint64_t v = 0;
    struct vse_err ignored = {0};
    if (h == NULL || cg_read_keyed(h, file, key, &v, &ignored) < 0)
        return 0;
    return v;
}

/* ---- v1 ---- */

static void v1_cpu_stats(struct cgroup_manager *m, struct cgroup_stats *st)
{
    struct cg_hier *acct = cg_find(m, CG_CPUACCT);
    st->cpu_usage_total = u64_or_zero(acct, "cpuacct.usage");
    if (acct && cg_file_exists(acct, "cpuacct.usage_user")) {
        st->cpu_usage_user = u64_or_zero(acct, "cpuacct.usage_user");
        st->cpu_usage_kernel = u64_or_zero(acct, "cpuacct.usage_sys");
    } else {
        /* cpuacct.stat counts USER_HZ ticks. */
        long hz = sysconf(_SC_CLK_TCK);
        uint64_t tick_ns = hz > 0 ? 1000000000ull / (uint64_t) hz : 10000000ull;
        st->cpu_usage_user = keyed_or_zero(acct, "cpuacct.stat", "user") * tick_ns;
        st->cpu_usage_kernel = keyed_or_zero(acct, "cpuacct.stat", "system") * tick_ns;
    }
    struct cg_hier *cpu = cg_find(m, CG_CPU);
    st->cpu_periods = keyed_or_zero(cpu, "cpu.stat", "nr_periods");
    st->cpu_throttled_periods = keyed_or_zero(cpu, "cpu.stat", "nr_throttled");
    st->cpu_throttled_time = keyed_or_zero(cpu, "cpu.stat", "throttled_time");
}

static void v1_memory_stats(struct cgroup_manager *m, struct cgroup_stats *st)
{
    struct cg_hier *h = cg_find(m, CG_MEMORY);
    if (h == NULL || h->v2)
        return;
    st->memory_usage = u64_or_zero(h, "memory.usage_in_bytes");
    st->memory_limit = u64_or_zero(h, "memory.limit_in_bytes");
    st->memory_max_usage = u64_or_zero(h, "memory.max_usage_in_bytes");
    st->memory_failcnt = u64_or_zero(h, "memory.failcnt");
    st->memory_cache = keyed_or_zero(h, "memory.stat", "cache");
    st->swap_usage = u64_or_zero(h, "memory.memsw.usage_in_bytes");
    st->swap_limit = u64_or_zero(h, "memory.memsw.limit_in_bytes");
    st->oom_kills = keyed_or_zero(h, "memory.oom_control", "oom_kill");
}

/* blkio.throttle.io_service_bytes and io.stat both list per device; vse sums them. */
static void sum_blkio_v1(const struct cg_hier *h, struct cgroup_stats *st)
{
    _cleanup_free_ char *text = NULL;
    struct vse_err ignored = {0};
    if (h == NULL || cg_read(h, "blkio.throttle.io_service_bytes", &text, &ignored) < 0)
        return;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char dev[32], op[16];
        unsigned long long v = 0;
        if (sscanf(line, "%31s %15s %llu", dev, op, &v) != 3)
            continue;
        if (strcmp(op, "Read") == 0)
            st->blkio_read_bytes += v;
        else if (strcmp(op, "Write") == 0)
            st->blkio_write_bytes += v;
    }
}

/* ---- v2 ---- */

static void sum_io_v2(const struct cg_hier *h, struct cgroup_stats *st)
{
    _cleanup_free_ char *text = NULL;
    struct vse_err ignored = {0};
    if (h == NULL || cg_read(h, "io.stat", &text, &ignored) < 0)
        return;
    char *save = NULL;
    for (char *tok = strtok_r(text, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save)) {
        unsigned long long v = 0;
        if (sscanf(tok, "rbytes=%llu", &v) == 1)
            st->blkio_read_bytes += v;
        else if (sscanf(tok, "wbytes=%llu", &v) == 1)
            st->blkio_write_bytes += v;
    }
}

static void v2_stats(struct cg_hier *h, struct cgroup_stats *st)
{
    st->cpu_usage_total = keyed_or_zero(h, "cpu.stat", "usage_usec") * 1000;
    st->cpu_usage_user = keyed_or_zero(h, "cpu.stat", "user_usec") * 1000;
    st->cpu_usage_kernel = keyed_or_zero(h, "cpu.stat", "system_usec") * 1000;
    st->cpu_periods = keyed_or_zero(h, "cpu.stat", "nr_periods");
    st->cpu_throttled_periods = keyed_or_zero(h, "cpu.stat", "nr_throttled");
    st->cpu_throttled_time = keyed_or_zero(h, "cpu.stat", "throttled_usec") * 1000;
    st->memory_usage = u64_or_zero(h, "memory.current");
    st->memory_limit = u64_or_zero(h, "memory.max");
    st->memory_max_usage = u64_or_zero(h, "memory.peak");
    st->memory_failcnt = keyed_or_zero(h, "memory.events", "max");
    st->memory_cache = keyed_or_zero(h, "memory.stat", "file");
    /* As runc: v2 "swap" is reported as memory+swap, the v1 meaning. */
    uint64_t swap = u64_or_zero(h, "memory.swap.current");
    uint64_t swap_max = u64_or_zero(h, "memory.swap.max");
    st->swap_usage = swap + st->memory_usage;
    st->swap_limit = swap_max == UINT64_MAX || st->memory_limit == UINT64_MAX
                         ? UINT64_MAX
                         : swap_max + st->memory_limit;
    st->oom_kills = keyed_or_zero(h, "memory.events", "oom_kill");
    st->pids_current = u64_or_zero(h, "pids.current");
    st->pids_limit = u64_or_zero(h, "pids.max");
    sum_io_v2(h, st);
}

int cg_fs_stats(struct cgroup_manager *m, struct cgroup_stats *st, struct vse_err *err)
{
    (void) err;
    memset(st, 0, sizeof(*st));
    if (m->mode == CGROUP_MODE_V2) {
        struct cg_hier *h = cg_find_v2(m);
        if (h)
            v2_stats(h, st);
        return 0;
    }
    v1_cpu_stats(m, st);
    v1_memory_stats(m, st);
    struct cg_hier *pids = cg_find(m, CG_PIDS);
    st->pids_current = u64_or_zero(pids, "pids.current");
    st->pids_limit = u64_or_zero(pids, "pids.max");
    sum_blkio_v1(cg_find(m, CG_BLKIO), st);
    return 0;
}

int cg_fs_memory_raw(struct cgroup_manager *m, struct spec_kv **kv, size_t *n,
                     struct vse_err *err)
{
    struct cg_hier *h = cg_find(m, CG_MEMORY);
    if (h == NULL)
        return 0;
    _cleanup_free_ char *text = NULL;
    int ret = cg_read(h, "memory.stat", &text, err);
    if (ret < 0)
        return ret;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *sp = strchr(line, ' ');
        if (sp == NULL)
            continue;
        *sp = '\0';
        *kv = vse_reallocarray(*kv, *n + 1, sizeof(**kv));
        (*kv)[*n].key = vse_strdup(line);
        (*kv)[*n].value = vse_strdup(sp + 1);
        (*n)++;
    }
    return 0;
}

/* ---- OOM ---- */

static int oom_fd_v1(struct cgroup_manager *m, struct cg_hier *h, struct vse_err *err)
{
    _cleanup_close_ int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (efd < 0)
        return vse_fail_errno(err, "cgroups: eventfd");
    _cleanup_free_ char *ctl = vse_asprintf("%s/memory.oom_control", h->path);
    _cleanup_close_ int ofd = open(ctl, O_RDONLY | O_CLOEXEC);
    if (ofd < 0)
        return vse_fail_errno(err, "cgroups: open %s", ctl);
    int ret = cg_writef(h, "cgroups: oom notification", "cgroup.event_control", err, "%d %d",
                        efd, ofd);
    if (ret < 0)
        return ret;
    m->oom_watch_fd = steal_fd(&ofd);
    m->oom_fd = steal_fd(&efd);
    return m->oom_fd;
}

static int oom_fd_v2(struct cgroup_manager *m, struct cg_hier *h, struct vse_err *err)
{
    _cleanup_close_ int fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    if (fd < 0)
        return vse_fail_errno(err, "cgroups: inotify_init1");
    _cleanup_free_ char *events = vse_asprintf("%s/memory.events", h->path);
    if (inotify_add_watch(fd, events, IN_MODIFY) < 0)
        return vse_fail_errno(err, "cgroups: inotify_add_watch %s", events);
    m->oom_fd = steal_fd(&fd);
    return m->oom_fd;
}

int cg_fs_oom_fd(struct cgroup_manager *m, struct vse_err *err)
{
    if (m->oom_fd >= 0)
        return m->oom_fd;
    struct cg_hier *h = cg_find(m, CG_MEMORY);
    if (h == NULL)
        return vse_fail(err, ENOTSUP, "cgroups: oom notification: the container has no memory "
                        "cgroup");
    return h->v2 ? oom_fd_v2(m, h, err) : oom_fd_v1(m, h, err);
}

int cg_fs_oom_count(struct cgroup_manager *m, uint64_t *count, struct vse_err *err)
{
    struct cg_hier *h = cg_find(m, CG_MEMORY);
    if (h == NULL)
        return vse_fail(err, ENOTSUP, "cgroups: oom count: the container has no memory cgroup");
    return h->v2 ? cg_read_keyed(h, "memory.events", "oom_kill", count, err)
                 : cg_read_keyed(h, "memory.oom_control", "oom_kill", count, err);
}
