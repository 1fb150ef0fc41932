/* Private to cgroups/: the driver interface, the manager and the helpers the backends share.
 * Nothing outside cgroups/ includes this. */
#ifndef VSE_CGROUPS_INTERNAL_H
#define VSE_CGROUPS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cgroups/cgroups.h"

#define CG_DEFAULT_ROOT "/sys/fs/cgroup"
#define CG_VSE_PARENT "vse"

/* Controllers vse knows by name; a hierarchy carries a bitmask of them. */
enum cg_controller {
    CG_CPU, CG_CPUACCT, CG_CPUSET, CG_MEMORY, CG_DEVICES, CG_FREEZER, CG_BLKIO, CG_PIDS,
    CG_HUGETLB, CG_NET_CLS, CG_NET_PRIO, CG_PERF_EVENT, CG_RDMA, CG_MISC, CG_IO,
    CG_CONTROLLER_COUNT
};
#define CG_BIT(c) (1u << (c))

const char *cg_controller_name(enum cg_controller c);
/* -1 when the name is not a controller vse knows. */
int cg_controller_from_name(const char *name);

/* One mounted hierarchy as found on the host. */
struct cg_mount {
    char *name;     /* "memory", "cpu,cpuacct", "unified" (the v2 one) */
    char *dir;      /* <mount_root>/<name> or mount_root itself on a pure v2 host */
    unsigned ctrls; /* controllers it carries (v2: those listed in cgroup.controllers) */
    bool v2;
};

struct cg_host {
    enum cgroup_mode mode;
    struct cg_mount *mounts;
    size_t n_mounts;
};

/* Discovers the mode and the hierarchies under mount_root (mode.c). */
int cg_host_probe(const char *mount_root, struct cg_host *host, struct vse_err *err);
void cg_host_clear(struct cg_host *host);
/* The hierarchy carrying a controller (v1 first on hybrid), or NULL. */
const struct cg_mount *cg_host_find(const struct cg_host *host, enum cg_controller c);

/* The container's cgroup in one hierarchy. */
struct cg_hier {
    char *name;       /* key in the state file: the hierarchy's name */
    char *path;       /* absolute directory of the container's cgroup */
    unsigned ctrls;   /* controllers usable there */
    bool v2;
    int removable;    /* path components from the leaf up that vse may rmdir when empty */
    bool leaf_made;   /* this create made the leaf (a failed create removes only those) */
};

struct cgroup_manager;

/* A backend. Every entry fills err on failure; the manager dispatches to these. */
struct cgroup_driver {
    const char *name;
    int (*create)(struct cgroup_manager *m, const struct spec_resources *res,
                  struct vse_err *err);
    int (*load)(struct cgroup_manager *m, const json_node *n, struct vse_err *err);
    void (*to_json)(const struct cgroup_manager *m, json_writer *w);
    int (*attach)(struct cgroup_manager *m, pid_t pid, struct vse_err *err);
    int (*clone_fd)(struct cgroup_manager *m);
    int (*freeze)(struct cgroup_manager *m, bool frozen, struct vse_err *err);
    int (*is_frozen)(struct cgroup_manager *m, bool *frozen, struct vse_err *err);
    int (*kill_all)(struct cgroup_manager *m, int sig, struct vse_err *err);
    int (*pids)(struct cgroup_manager *m, pid_t **pids, size_t *n, struct vse_err *err);
    int (*update)(struct cgroup_manager *m, const struct spec_resources *res,
                  struct vse_err *err);
    int (*stats)(struct cgroup_manager *m, struct cgroup_stats *st, struct vse_err *err);
    int (*memory_raw)(struct cgroup_manager *m, struct spec_kv **kv, size_t *n,
                      struct vse_err *err);
    int (*oom_fd)(struct cgroup_manager *m, struct vse_err *err);
    int (*oom_count)(struct cgroup_manager *m, uint64_t *count, struct vse_err *err);
    int (*destroy)(struct cgroup_manager *m, bool force, struct vse_err *err);
};

extern const struct cgroup_driver cg_driver_cgroupfs;
extern const struct cgroup_driver cg_driver_systemd;

struct cgroup_manager {
    const struct cgroup_driver *drv;
    const struct vse_logger *log;
    enum cgroup_mode mode;
    char *id;
    char *mount_root;
    char *rel;              /* path below each hierarchy root, no leading '/' */
    struct cg_hier *h;
    size_t n;
    int clone_fd;           /* O_PATH fd of the v2 cgroup for CLONE_INTO_CGROUP, or -1 */
    int oom_fd;             /* eventfd (v1) or inotify fd (v2), -1 until asked */
    int oom_watch_fd;       /* v1: memory.oom_control kept open for the eventfd */
    struct cg_dev_rule *dev_extra; /* allow rules for linux.devices */
    size_t n_dev_extra;
};

/* ---- fs_paths.c: where the container's cgroup lives ---- */
/* The path below each hierarchy root: absolute cgroupsPath -> as given (without the leading
 * '/'); relative -> "vse/<path>"; absent -> "vse/<id>". *removable counts the components vse
 * owns (all of "vse/..." for relative paths, only the leaf for absolute ones). */
int cg_compute_rel(const char *id, const char *cgroups_path, char **rel, int *removable,
                   struct vse_err *err);
/* Which hierarchies the container joins, given the resources (see docs/cgroups.md). */
bool cg_hier_wanted(const struct cg_host *host, const struct cg_mount *mnt,
                    const struct spec_resources *res);

/* ---- fs_io.c: reading and writing cgroup files with errors that name them ---- */
/* Writes value to <h->path>/<file>; the error reads "<field>: <path>/<file>: <strerror>". */
int cg_write(const struct cg_hier *h, const char *field, const char *file, const char *value,
             struct vse_err *err);
int cg_writef(const struct cg_hier *h, const char *field, const char *file,
              struct vse_err *err, const char *fmt, ...) __attribute__((format(printf, 5, 6)));
int cg_read(const struct cg_hier *h, const char *file, char **out, struct vse_err *err);
/* Reads a file holding one unsigned number ("max" reads as UINT64_MAX). */
int cg_read_u64(const struct cg_hier *h, const char *file, uint64_t *out, struct vse_err *err);
/* Finds "key value" in a flat keyed file (memory.stat, cpu.stat, memory.events). */
int cg_read_keyed(const struct cg_hier *h, const char *file, const char *key, uint64_t *out,
                  struct vse_err *err);
bool cg_file_exists(const struct cg_hier *h, const char *file);
/* The hierarchy of the container carrying controller c (v1 preferred), or NULL. */
struct cg_hier *cg_find(struct cgroup_manager *m, enum cg_controller c);
struct cg_hier *cg_find_v2(struct cgroup_manager *m);

/* ---- resources_v1.c / resources_v2.c ---- */
int cg_apply_v1(struct cgroup_manager *m, const struct spec_resources *res, bool update,
                struct vse_err *err);
int cg_apply_v2(struct cgroup_manager *m, const struct spec_resources *res, bool update,
                struct vse_err *err);
/* Resources that exist on v2 only (or on v1 only) when the host lacks that side. */
int cg_apply_unified_map(struct cgroup_manager *m, const struct spec_resources *res,
                         struct vse_err *err);
bool cg_unified_key_valid(const char *key);
/* hugepageLimits: to the v1 hugetlb hierarchy, else the v2 cgroup; a clear error without. */
int cg_apply_hugetlb(struct cgroup_manager *m, const struct spec_resources *res,
                     struct vse_err *err);
/* Shares [2-262144] -> cpu.weight [1-10000], the log-quadratic mapping of runc >= 1.3.2 and
 * crun >= 1.23; 0 stays 0 (unset). */
uint64_t cg_shares_to_weight(uint64_t shares);
/* blkio.weight [10-1000] -> io.weight [1-10000] (linear, as runc and crun). */
uint64_t cg_blkio_to_io_weight(uint64_t weight);
/* OCI memory.swap (memory+swap) -> memory.swap.max; -1 = "max". -EINVAL with a message when
 * the combination makes no sense. */
int cg_swap_to_v2(int64_t swap, int64_t limit, int64_t *out, struct vse_err *err);

/* ---- resources.c: writes v1 and v2 make the same way ---- */
/* The backend's lookup of the hierarchy carrying c; NULL with err naming field otherwise. */
typedef struct cg_hier *(*cg_need_fn)(struct cgroup_manager *m, enum cg_controller c,
                                      const char *field, struct vse_err *err);
int cg_apply_cpuset(struct cgroup_manager *m, cg_need_fn resolve, const struct spec_cpu *cpu,
                    struct vse_err *err);
int cg_apply_pids(struct cgroup_manager *m, cg_need_fn resolve, const struct spec_resources *res,
                  struct vse_err *err);
/* memory.checkBeforeUpdate: -EBUSY when the current usage (usage_file) exceeds the new limit. */
int cg_check_before_update(const struct cg_hier *h, const struct spec_memory *mem,
                           const char *usage_file, struct vse_err *err);
/* One blockIO throttle list: its config field, v1 file and v2 io.max key. */
struct cg_throttle_kind {
    const char *field;
    const char *v1_file;
    const char *v2_key;
};
/* Writes one entry; field is "<kind->field>[i]". */
typedef int (*cg_throttle_writer)(const struct cg_hier *h, const char *field,
                                  const struct cg_throttle_kind *kind,
                                  const struct spec_blkio_throttle *t, struct vse_err *err);
/* The four throttle lists (read/write bps, read/write iops) in order, entry by entry. */
int cg_write_throttles(const struct cg_hier *h, const struct spec_blkio *b,
                       cg_throttle_writer write_one, struct vse_err *err);

/* ---- devices: the rule list vse enforces (config rules + runc's default allow list) ---- */
struct cg_dev_rule {
    bool allow;
    char type;   /* 'a', 'c', 'b' */
    int64_t major, minor; /* -1: any */
    unsigned access;      /* CG_DEV_READ | ... */
};
#define CG_DEV_MKNOD 1u
#define CG_DEV_READ 2u
#define CG_DEV_WRITE 4u
/* The config's rules, then `extra` (linux.devices), then runc's default allow list. */
int cg_dev_rules(const struct spec_resources *res, const struct cg_dev_rule *extra,
                 size_t n_extra, struct cg_dev_rule **rules, size_t *n, struct vse_err *err);
/* Loads the BPF_PROG_TYPE_CGROUP_DEVICE program and attaches it to dirfd with
 * BPF_F_ALLOW_MULTI (devices_bpf.c); replaces the one vse attached before on update. */
int cg_bpf_devices_apply(const char *cgroup_path, const struct cg_dev_rule *rules, size_t n,
                         struct vse_err *err);
/* Builds the program (exported for the unit test): *insns is an array of struct bpf_insn. */
int cg_bpf_devices_build(const struct cg_dev_rule *rules, size_t n, void **insns,
                         size_t *n_insns);

/* ---- fs_ops.c ---- */
int cg_fs_freeze(struct cgroup_manager *m, bool frozen, struct vse_err *err);
int cg_fs_is_frozen(struct cgroup_manager *m, bool *frozen, struct vse_err *err);
int cg_fs_kill_all(struct cgroup_manager *m, int sig, struct vse_err *err);
int cg_fs_pids(struct cgroup_manager *m, pid_t **pids, size_t *n, struct vse_err *err);

/* ---- stats.c ---- */
int cg_fs_stats(struct cgroup_manager *m, struct cgroup_stats *st, struct vse_err *err);
int cg_fs_memory_raw(struct cgroup_manager *m, struct spec_kv **kv, size_t *n,
                     struct vse_err *err);
int cg_fs_oom_fd(struct cgroup_manager *m, struct vse_err *err);
int cg_fs_oom_count(struct cgroup_manager *m, uint64_t *count, struct vse_err *err);

#endif
