/* cgroup_cmds.c: the cgroup-backed commands: pause, resume, update, ps, events. */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cgroups/cgroups.h"
#include "common/cleanup.h"
#include "common/util.h"
#include "json/json.h"
#include "runtime/runtime.h"
#include "runtime/state.h"

static int load_with_cgroup(const struct vse_runtime *rt, const char *id, bool lock,
                            struct container_state **out, struct vse_err *err)
{
    _cleanup_container_state_ struct container_state *st = NULL;
    int ret = container_state_load(rt, id, lock, &st, err);
    if (ret < 0)
        return ret;
    if (st->cgroup == NULL)
        return vse_fail(err, ENOTSUP, "container %s has no cgroup", id);
    *out = steal_ptr(st);
    return 0;
}

/* runc pauses created and running containers alike; anything else is "not running". */
int runtime_pause(const struct vse_runtime *rt, const char *id, struct vse_err *err)
{
    _cleanup_container_state_ struct container_state *st = NULL;
    int ret = load_with_cgroup(rt, id, true, &st, err);
    if (ret < 0)
        return ret;
    enum container_status s = container_state_status(st);
    if (s != CONTAINER_RUNNING && s != CONTAINER_CREATED)
        return vse_fail(err, EINVAL, "container not running");
    return cgroup_manager_freeze(st->cgroup, true, err);
}

int runtime_resume(const struct vse_runtime *rt, const char *id, struct vse_err *err)
{
    _cleanup_container_state_ struct container_state *st = NULL;
    int ret = load_with_cgroup(rt, id, true, &st, err);
    if (ret < 0)
        return ret;
    if (container_state_status(st) != CONTAINER_PAUSED)
        return vse_fail(err, EINVAL, "container not paused");
    return cgroup_manager_freeze(st->cgroup, false, err);
}

int runtime_update(const struct vse_runtime *rt, const char *id,
                   const struct spec_resources *res, struct vse_err *err)
{
    _cleanup_container_state_ struct container_state *st = NULL;
    int ret = load_with_cgroup(rt, id, true, &st, err);
    if (ret < 0)
        return ret;
    if (container_state_status(st) == CONTAINER_STOPPED)
        return vse_fail(err, EINVAL, "container not running");
    return cgroup_manager_update(st->cgroup, res, err);
}

int runtime_ps(const struct vse_runtime *rt, const char *id, pid_t **pids, size_t *n,
               struct vse_err *err)
{
    _cleanup_container_state_ struct container_state *st = NULL;
    int ret = load_with_cgroup(rt, id, false, &st, err);
    if (ret < 0)
        return ret;
    return cgroup_manager_pids(st->cgroup, pids, n, err);
}

/* ---- events ---- */

static void kv_uint(json_writer *w, const char *key, uint64_t v)
{
    json_w_key(w, key);
    json_w_uint(w, v);
}

/* "key": { ... to be closed with json_w_object_end(). */
static void object_begin(json_writer *w, const char *key)
{
    json_w_key(w, key);
    json_w_object_begin(w);
}

static void write_cpu(json_writer *w, const struct cgroup_stats *s)
{
    object_begin(w, "cpu");
    object_begin(w, "usage");
    kv_uint(w, "total", s->cpu_usage_total);
    kv_uint(w, "kernel", s->cpu_usage_kernel);
    kv_uint(w, "user", s->cpu_usage_user);
    json_w_object_end(w);
    object_begin(w, "throttling");
    kv_uint(w, "periods", s->cpu_periods);
    kv_uint(w, "throttled_periods", s->cpu_throttled_periods);
    kv_uint(w, "throttled_time", s->cpu_throttled_time);
    json_w_object_end(w);
    json_w_object_end(w);
}

static void write_entry(json_writer *w, const char *key, uint64_t limit, uint64_t usage,
                        uint64_t max, uint64_t failcnt)
{
    object_begin(w, key);
    kv_uint(w, "limit", limit);
    kv_uint(w, "usage", usage);
    kv_uint(w, "max", max);
    kv_uint(w, "failcnt", failcnt);
    json_w_object_end(w);
}

static void write_raw(json_writer *w, struct cgroup_manager *cg)
{
    struct spec_kv *kv = NULL;
    size_t n = 0;
    struct vse_err ignored = {0};
    object_begin(w, "raw");
    if (cgroup_manager_memory_stat(cg, &kv, &n, &ignored) == 0) {
        for (size_t i = 0; i < n; i++) {
            uint64_t v = 0;
            if (vse_parse_uint64(kv[i].value, &v) < 0)
                continue;
            kv_uint(w, kv[i].key, v);
        }
    }
    cgroup_kv_free(kv, n);
    json_w_object_end(w);
}

static void write_memory(json_writer *w, struct cgroup_manager *cg, const struct cgroup_stats *s)
{
    object_begin(w, "memory");
    kv_uint(w, "cache", s->memory_cache);
    write_entry(w, "usage", s->memory_limit, s->memory_usage, s->memory_max_usage,
                s->memory_failcnt);
    write_entry(w, "swap", s->swap_limit, s->swap_usage, 0, 0);
    write_raw(w, cg);
    json_w_object_end(w);
}

static void write_blkio(json_writer *w, const struct cgroup_stats *s)
{
    object_begin(w, "blkio");
    json_w_key(w, "ioServiceBytesRecursive");
    json_w_array_begin(w);
    const char *ops[] = {"Read", "Write"};
    const uint64_t vals[] = {s->blkio_read_bytes, s->blkio_write_bytes};
    for (size_t i = 0; i < 2; i++) {
        json_w_object_begin(w);
        json_w_kv_string(w, "op", ops[i]);
        kv_uint(w, "value", vals[i]);
        json_w_object_end(w);
    }
    json_w_array_end(w);
    json_w_object_end(w);
}

static int emit_stats(struct container_state *st, void (*emit)(void *, const char *),
                      void *data, struct vse_err *err)
{
    struct cgroup_stats s;
    int ret = cgroup_manager_stats(st->cgroup, &s, err);
    if (ret < 0)
        return ret;
    _cleanup_json_writer_ json_writer *w = json_writer_new(false);
    json_w_object_begin(w);
    json_w_kv_string(w, "type", "stats");
    json_w_kv_string(w, "id", st->id);
    object_begin(w, "data");
    write_cpu(w, &s);
    write_memory(w, st->cgroup, &s);
    object_begin(w, "pids");
    kv_uint(w, "current", s.pids_current);
    kv_uint(w, "limit", s.pids_limit);
    json_w_object_end(w);
    write_blkio(w, &s);
    json_w_object_end(w);
    json_w_object_end(w);
    emit(data, json_writer_text(w, NULL));
    return 0;
}

static void emit_oom(const char *id, void (*emit)(void *, const char *), void *data)
{
    _cleanup_json_writer_ json_writer *w = json_writer_new(false);
    json_w_object_begin(w);
    json_w_kv_string(w, "type", "oom");
    json_w_kv_string(w, "id", id);
    json_w_object_end(w);
    emit(data, json_writer_text(w, NULL));
}

/* An eventfd counter or inotify records: drained so the next poll blocks again. */
static void drain(int fd)
{
    char buf[4096];
    while (read(fd, buf, sizeof(buf)) > 0)
        ;
}

static uint64_t oom_count_or_zero(struct cgroup_manager *cg)
{
    uint64_t n = 0;
    struct vse_err ignored = {0};
    cgroup_manager_oom_count(cg, &n, &ignored);
    return n;
}

/* The v1 notification comes when the cgroup enters OOM, just before the kernel picks a
 * victim; it also comes when the cgroup is removed. Returns the new count of OOM events
 * reported: a notification while the cgroup exists is one OOM (as runc reports it), whose
 * kill the counter shows a moment later. */
static uint64_t on_oom_notification(struct container_state *st, uint64_t reported,
                                    void (*emit)(void *, const char *), void *data)
{
    for (int i = 0; i < 20; i++) {
        uint64_t n = 0;
        struct vse_err err = {0};
        if (cgroup_manager_oom_count(st->cgroup, &n, &err) < 0)
            return reported; /* the cgroup is gone: not an OOM */
        if (n > reported) {
            for (uint64_t k = reported; k < n; k++)
                emit_oom(st->id, emit, data);
            return n;
        }
        usleep(5000);
    }
    /* v2's memory.events also changes for "high" and "max" events: only a count is an OOM. */
    if (cgroup_manager_mode(st->cgroup) == CGROUP_MODE_V2)
        return reported;
    emit_oom(st->id, emit, data);
    return reported + 1;
}

int runtime_events(const struct vse_runtime *rt, const char *id, bool stats_once,
                   unsigned interval_ms, void (*emit)(void *data, const char *json_line),
                   void *data, struct vse_err *err)
{
    _cleanup_container_state_ struct container_state *st = NULL;
    int ret = load_with_cgroup(rt, id, false, &st, err);
    if (ret < 0)
        return ret;
    if (stats_once)
        return emit_stats(st, emit, data, err);
    if (interval_ms == 0)
        interval_ms = 5000;
    struct vse_err ignored = {0};
    int oom_fd = cgroup_manager_oom_fd(st->cgroup, &ignored);
    uint64_t ooms = oom_count_or_zero(st->cgroup);
    struct timespec next;
    clock_gettime(CLOCK_MONOTONIC, &next);
    for (;;) {
        if (container_state_status(st) == CONTAINER_STOPPED) {
            /* A kill that stopped the container may land between two polls. */
            if (oom_count_or_zero(st->cgroup) > ooms)
                emit_oom(st->id, emit, data);
            return 0;
        }
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        int64_t wait = (int64_t) (next.tv_sec - now.tv_sec) * 1000 +
                       (next.tv_nsec - now.tv_nsec) / 1000000;
        if (wait <= 0) {
            ret = emit_stats(st, emit, data, err);
            if (ret < 0)
                return ret;
            next.tv_sec += interval_ms / 1000;
            next.tv_nsec += (long) (interval_ms % 1000) * 1000000L;
            if (next.tv_nsec >= 1000000000L) {
                next.tv_sec++;
                next.tv_nsec -= 1000000000L;
            }
            continue;
        }
        /* Wake at least every 200 ms to notice the container stopping. */
        struct pollfd pfd = {.fd = oom_fd, .events = POLLIN};
        int n = poll(&pfd, oom_fd >= 0 ? 1 : 0, (int) (wait < 200 ? wait : 200));
        if (n > 0) {
            drain(oom_fd);
            ooms = on_oom_notification(st, ooms, emit, data);
        }
    }
}
