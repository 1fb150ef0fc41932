/* The OCI runtime-spec config (v1.0.x - v1.3.x) as vse understands it: plain data, parsed once
 * from config.json, read by every other module. Absent optional values are marked by `set`
 * flags or NULL pointers; string lists are NULL-terminated arrays (strv). */
#ifndef VSE_SPEC_H
#define VSE_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "json/json.h"

#define VSE_OCI_VERSION "1.3.0"

typedef struct { bool set; int64_t value; } opt_i64;
typedef struct { bool set; uint64_t value; } opt_u64;
typedef struct { bool set; bool value; } opt_bool;

struct spec_kv {
    char *key;
    char *value;
};

struct spec_id_mapping {
    uint32_t container_id;
    uint32_t host_id;
    uint32_t size;
};

/* ---- process ---- */
struct spec_rlimit {
    int resource; /* RLIMIT_* value */
    char *type;   /* "RLIMIT_NOFILE", as written */
    uint64_t soft, hard;
};

/* Capability sets as bitmasks of CAP_* numbers (1ULL << cap). */
struct spec_capabilities {
    uint64_t bounding, effective, inheritable, permitted, ambient;
};

enum spec_sched_policy {
    SPEC_SCHED_OTHER, SPEC_SCHED_FIFO, SPEC_SCHED_RR, SPEC_SCHED_BATCH, SPEC_SCHED_ISO,
    SPEC_SCHED_IDLE, SPEC_SCHED_DEADLINE
};

struct spec_scheduler {
    enum spec_sched_policy policy;
    int32_t nice;
    int32_t priority;
    uint64_t flags; /* SCHED_FLAG_* bits */
    uint64_t runtime, deadline, period;
};

struct spec_io_priority {
    bool set;
    int klass; /* IOPRIO_CLASS_RT=1, BE=2, IDLE=3 */
    int priority;
};

struct spec_user {
    uint32_t uid, gid;
    opt_u64 umask;
    uint32_t *additional_gids;
    size_t n_additional_gids;
    char *username; /* Windows only; kept for completeness */
};

struct spec_process {
    bool terminal;
    bool has_console_size;
    uint32_t console_height, console_width;
    struct spec_user user;
    char **args;
    char **env;
    char *cwd;
    struct spec_capabilities *capabilities; /* NULL: none given (all sets empty) */
    struct spec_rlimit *rlimits;
    size_t n_rlimits;
    bool no_new_privileges;
    char *apparmor_profile;
    opt_i64 oom_score_adj;
    char *selinux_label;
    struct spec_scheduler *scheduler;
    struct spec_io_priority io_priority;
    char *exec_cpu_affinity_initial; /* cpu list "0-3,7" */
    char *exec_cpu_affinity_final;
};

/* ---- root, mounts, hooks ---- */
struct spec_root {
    char *path; /* as written (relative to the bundle or absolute) */
    bool readonly;
};

struct spec_mount {
    char *destination;
    char *type;
    char *source;
    char **options;
    struct spec_id_mapping *uid_mappings;
    size_t n_uid_mappings;
    struct spec_id_mapping *gid_mappings;
    size_t n_gid_mappings;
};

struct spec_hook {
    char *path;
    char **args;
    char **env;
    opt_i64 timeout; /* seconds, > 0 */
};

struct spec_hook_list {
    struct spec_hook *hooks;
    size_t n;
};

struct spec_hooks {
    struct spec_hook_list prestart, create_runtime, create_container, start_container,
        poststart, poststop;
};

/* ---- linux ---- */
enum spec_ns_type {
    SPEC_NS_PID, SPEC_NS_NETWORK, SPEC_NS_MOUNT, SPEC_NS_IPC, SPEC_NS_UTS, SPEC_NS_USER,
    SPEC_NS_CGROUP, SPEC_NS_TIME, SPEC_NS_COUNT
};

struct spec_namespace {
    enum spec_ns_type type;
    char *path; /* NULL: create a new one */
};

struct spec_time_offset {
    bool set;
    int64_t secs;
    uint32_t nanosecs;
};

struct spec_device {
    char type; /* 'c', 'b', 'u', 'p' */
    char *path;
    int64_t major, minor;
    opt_u64 file_mode;
    opt_u64 uid, gid;
};

struct spec_device_rule {
    bool allow;
    char type;            /* 'a', 'c', 'b' ('a' when absent) */
    int64_t major, minor; /* -1: wildcard */
    char *access;         /* "rwm" subset; NULL: all */
};

struct spec_memory {
    opt_i64 limit, reservation, swap, kernel, kernel_tcp;
    opt_u64 swappiness;
    opt_bool disable_oom_killer, use_hierarchy;
    bool check_before_update;
};

struct spec_cpu {
    opt_u64 shares, period, realtime_period, burst;
    opt_i64 quota, realtime_runtime, idle;
    char *cpus, *mems;
};

struct spec_blkio_weight_device {
    int64_t major, minor;
    opt_u64 weight, leaf_weight;
};

struct spec_blkio_throttle {
    int64_t major, minor;
    uint64_t rate;
};

struct spec_blkio {
    opt_u64 weight, leaf_weight;
    struct spec_blkio_weight_device *weight_device;
    size_t n_weight_device;
    struct spec_blkio_throttle *throttle_read_bps, *throttle_write_bps, *throttle_read_iops,
        *throttle_write_iops;
    size_t n_throttle_read_bps, n_throttle_write_bps, n_throttle_read_iops, n_throttle_write_iops;
};

struct spec_hugepage_limit {
    char *page_size; /* "2MB" */
    uint64_t limit;
};

struct spec_net_priority {
    char *name;
    uint32_t priority;
};

struct spec_resources {
    struct spec_device_rule *devices;
    size_t n_devices;
    struct spec_memory *memory; /* NULL when the section is absent */
    struct spec_cpu *cpu;
    opt_i64 pids_limit;
    struct spec_blkio *block_io;
    struct spec_hugepage_limit *hugepage_limits;
    size_t n_hugepage_limits;
    opt_u64 net_class_id;
    struct spec_net_priority *net_priorities;
    size_t n_net_priorities;
    struct spec_kv *unified;
    size_t n_unified;
};

enum spec_seccomp_action {
    SPEC_SCMP_KILL, SPEC_SCMP_KILL_PROCESS, SPEC_SCMP_KILL_THREAD, SPEC_SCMP_TRAP,
    SPEC_SCMP_ERRNO, SPEC_SCMP_TRACE, SPEC_SCMP_ALLOW, SPEC_SCMP_LOG, SPEC_SCMP_NOTIFY
};

enum spec_seccomp_op {
    SPEC_SCMP_CMP_NE, SPEC_SCMP_CMP_LT, SPEC_SCMP_CMP_LE, SPEC_SCMP_CMP_EQ, SPEC_SCMP_CMP_GE,
    SPEC_SCMP_CMP_GT, SPEC_SCMP_CMP_MASKED_EQ
};

struct spec_seccomp_arg {
    uint32_t index;
    uint64_t value, value_two;
    enum spec_seccomp_op op;
};

struct spec_seccomp_syscall {
    char **names;
    enum spec_seccomp_action action;
    opt_u64 errno_ret;
    struct spec_seccomp_arg *args;
    size_t n_args;
};

struct spec_seccomp {
    enum spec_seccomp_action default_action;
    opt_u64 default_errno_ret;
    char **architectures; /* "SCMP_ARCH_X86_64", as written */
    char **flags;         /* "SECCOMP_FILTER_FLAG_LOG", as written */
    char *listener_path;
    char *listener_metadata;
    struct spec_seccomp_syscall *syscalls;
    size_t n_syscalls;
};

struct spec_personality {
    char *domain; /* "LINUX" or "LINUX32" */
    char **flags;
};

struct spec_net_device {
    char *host_name; /* key of linux.netDevices */
    char *name;      /* name inside the container; NULL: keep host_name */
};

struct spec_linux {
    struct spec_namespace *namespaces;
    size_t n_namespaces;
    struct spec_id_mapping *uid_mappings;
    size_t n_uid_mappings;
    struct spec_id_mapping *gid_mappings;
    size_t n_gid_mappings;
    struct spec_time_offset time_monotonic, time_boottime;
    struct spec_device *devices;
    size_t n_devices;
    char *cgroups_path;
    struct spec_resources *resources; /* NULL when absent */
    char *rootfs_propagation;         /* "shared", "rslave", ... */
    struct spec_seccomp *seccomp;     /* NULL when absent */
    struct spec_kv *sysctl;
    size_t n_sysctl;
    char **masked_paths;
    char **readonly_paths;
    char *mount_label;
    struct spec_personality *personality;
    struct spec_net_device *net_devices;
    size_t n_net_devices;
};

struct spec {
    char *oci_version;
    struct spec_process *process; /* NULL when absent (allowed for create-only configs) */
    struct spec_root *root;       /* NULL when absent */
    char *hostname;
    char *domainname;
    struct spec_mount *mounts;
    size_t n_mounts;
    struct spec_hooks hooks;
    struct spec_kv *annotations;
    size_t n_annotations;
    struct spec_linux *linux_; /* NULL when absent */
};

/* Parses config.json text. Errors name the JSON path: `linux.namespaces[2].type: unknown
 * namespace "nett"`. Unknown fields are ignored, as the spec says. */
int spec_parse(const char *json_text, struct spec **out, struct vse_err *err);
/* Reads <bundle>/config.json; errors are prefixed with the file's path. */
int spec_load_bundle(const char *bundle_dir, struct spec **out, struct vse_err *err);
/* A process object alone (`vse exec --process FILE`): same rules, paths start at the root. */
int spec_parse_process(const char *json_text, struct spec_process **out, struct vse_err *err);
/* A resources object alone (`vse update -r FILE`). */
int spec_parse_resources(const char *json_text, struct spec_resources **out,
                         struct vse_err *err);

void spec_free(struct spec *s);
void spec_process_free(struct spec_process *p);
void spec_resources_free(struct spec_resources *r);
static inline void spec_freep(struct spec **s)
{
    spec_free(*s);
}
#define _cleanup_spec_ __attribute__((cleanup(spec_freep)))

/* Lookups that several modules need. */
const struct spec_namespace *spec_find_namespace(const struct spec *s, enum spec_ns_type type);
const char *spec_ns_type_name(enum spec_ns_type type); /* "pid", "network", ... */
const char *spec_get_annotation(const struct spec *s, const char *key);

/* `vse spec [--rootless]`: the default config, as pretty JSON text (caller frees). */
char *spec_default_json(bool rootless);

/* `vse features`: runtime-spec features.md JSON, truthful about what vse supports. */
char *spec_features_json(void);

#endif
