/* cgroups: one driver interface with backends behind it (cgroupfs for v1, hybrid and v2 hosts
 * today; a systemd backend later). Callers never see which hierarchy or file is used. */
#ifndef VSE_CGROUPS_H
#define VSE_CGROUPS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/error.h"
#include "common/log.h"
#include "json/json.h"
#include "spec/spec.h"

enum cgroup_mode { CGROUP_MODE_V1, CGROUP_MODE_HYBRID, CGROUP_MODE_V2 };

struct cgroup_manager;

struct cgroup_opts {
    const char *id;           /* container id */
    const char *cgroups_path; /* linux.cgroupsPath, may be NULL */
    bool systemd;             /* --systemd-cgroup */
    const char *mount_root;   /* NULL: /sys/fs/cgroup (tests point it at a scratch tree) */
    const struct vse_logger *log;
    /* linux.devices (may be NULL): each device gets an "allow rwm" rule after the config's
     * rules, as runc does, so the nodes the runtime creates can be used. Create only. */
    const struct spec_device *devices;
    size_t n_devices;
};

int cgroup_detect_mode(const char *mount_root, enum cgroup_mode *mode, struct vse_err *err);

/* Creates the container's cgroup(s) and applies the resources, before any process is in them.
 * On failure nothing is left behind. */
int cgroup_manager_create(const struct cgroup_opts *opts, const struct spec_resources *res,
                          struct cgroup_manager **out, struct vse_err *err);

/* Moves pid (the container init, or an exec'd process) into the cgroup(s). */
int cgroup_manager_attach(struct cgroup_manager *m, pid_t pid, struct vse_err *err);

/* A v2 cgroup directory fd for clone3(CLONE_INTO_CGROUP), or -1 where that cannot be used
 * (v1 controllers in play). Owned by the manager. */
int cgroup_manager_clone_fd(struct cgroup_manager *m);

/* The state file keeps what later commands need to find the cgroups again. */
void cgroup_manager_to_json(const struct cgroup_manager *m, json_writer *w);
int cgroup_manager_from_json(const json_node *n, const struct cgroup_opts *opts,
                             struct cgroup_manager **out, struct vse_err *err);

int cgroup_manager_freeze(struct cgroup_manager *m, bool frozen, struct vse_err *err);
int cgroup_manager_is_frozen(struct cgroup_manager *m, bool *frozen, struct vse_err *err);
/* Signals every process in the cgroup (v2 cgroup.kill for SIGKILL; v1 freeze-kill-thaw). */
int cgroup_manager_kill_all(struct cgroup_manager *m, int sig, struct vse_err *err);
int cgroup_manager_pids(struct cgroup_manager *m, pid_t **pids, size_t *n, struct vse_err *err);
int cgroup_manager_update(struct cgroup_manager *m, const struct spec_resources *res,
                          struct vse_err *err);

struct cgroup_stats {
    uint64_t cpu_usage_total, cpu_usage_kernel, cpu_usage_user; /* nanoseconds */
    uint64_t cpu_throttled_periods, cpu_throttled_time, cpu_periods;
    uint64_t memory_usage, memory_limit, memory_max_usage, memory_failcnt, memory_cache;
    uint64_t swap_usage, swap_limit;
    uint64_t oom_kills;
    uint64_t pids_current, pids_limit;
    uint64_t blkio_read_bytes, blkio_write_bytes;
};
int cgroup_manager_stats(struct cgroup_manager *m, struct cgroup_stats *st, struct vse_err *err);

/* An fd that becomes readable when the container hits an OOM kill (eventfd on v1, inotify on
 * memory.events on v2); cgroup_manager_oom_count() reads the kill count after it fires. */
int cgroup_manager_oom_fd(struct cgroup_manager *m, struct vse_err *err);
int cgroup_manager_oom_count(struct cgroup_manager *m, uint64_t *count, struct vse_err *err);

/* Removes the cgroup(s), killing what is left when force is set; retries on EBUSY; a frozen
 * cgroup is thawed first so delete never hangs. */
int cgroup_manager_destroy(struct cgroup_manager *m, bool force, struct vse_err *err);
void cgroup_manager_free(struct cgroup_manager *m);
static inline void cgroup_manager_freep(struct cgroup_manager **m)
{
    cgroup_manager_free(*m);
}
#define _cleanup_cgroup_manager_ __attribute__((cleanup(cgroup_manager_freep)))

/* ---- additions (cgroups developer) ---- */

/* memory.stat as key/value pairs (runc's events "raw" map); free with cgroup_kv_free. */
int cgroup_manager_memory_stat(struct cgroup_manager *m, struct spec_kv **kv, size_t *n,
                               struct vse_err *err);
void cgroup_kv_free(struct spec_kv *kv, size_t n);
/* The container's cgroup directory in the hierarchy carrying `controller` ("memory", "pids",
 * ...; "unified" for the v2 one), or NULL when it has none there. Diagnostics and tests. */
const char *cgroup_manager_path(const struct cgroup_manager *m, const char *controller);
enum cgroup_mode cgroup_manager_mode(const struct cgroup_manager *m);

#endif
