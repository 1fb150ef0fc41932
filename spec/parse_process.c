/* The process section of config.json (also `vse exec --process FILE`). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/resource.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "spec/parse_internal.h"

/* ---- user, console ---- */

static int parse_gids(const json_node *user, const char *base, struct spec_user *u,
                      struct vse_err *err)
{
    const json_node *arr;
    int ret = sp_child(user, base, "additionalGids", JSON_ARRAY, false, &arr, err);
    if (ret < 0 || arr == NULL)
        return ret;
    sp_path path = sp_key(base, "additionalGids");
    u->n_additional_gids = json_array_len(arr);
    u->additional_gids = vse_zalloc(u->n_additional_gids * sizeof(uint32_t));
    for (size_t i = 0; i < u->n_additional_gids; i++) {
        uint64_t g;
        if (json_uint64(json_array_get(arr, i), &g) < 0 || g > UINT32_MAX)
            return sp_fail(err, sp_idx(path.s, i).s, "must be an integer from 0 to 4294967295");
        u->additional_gids[i] = (uint32_t) g;
    }
    return 0;
}

static int parse_user(const json_node *proc, const char *base, struct spec_user *u,
                      struct vse_err *err)
{
    const json_node *n;
    int ret = sp_child(proc, base, "user", JSON_OBJECT, true, &n, err);
    if (ret < 0)
        return ret;
    sp_path path = sp_key(base, "user");
    if ((ret = sp_u32(n, path.s, "uid", true, &u->uid, err)) < 0 ||
        (ret = sp_u32(n, path.s, "gid", true, &u->gid, err)) < 0 ||
        (ret = sp_uint(n, path.s, "umask", false, 0777, &u->umask.value, &u->umask.set, err)) <
            0 ||
        (ret = parse_gids(n, path.s, u, err)) < 0 ||
        (ret = sp_string(n, path.s, "username", false, &u->username, err)) < 0)
        return ret;
    return 0;
}

static int parse_console_size(const json_node *proc, const char *base, struct spec_process *p,
                              struct vse_err *err)
{
    const json_node *n;
    int ret = sp_child(proc, base, "consoleSize", JSON_OBJECT, false, &n, err);
    if (ret < 0 || n == NULL)
        return ret;
    sp_path path = sp_key(base, "consoleSize");
    uint64_t h = 0, w = 0;
    /* struct winsize holds unsigned shorts */
    if ((ret = sp_uint(n, path.s, "height", true, UINT16_MAX, &h, NULL, err)) < 0 ||
        (ret = sp_uint(n, path.s, "width", true, UINT16_MAX, &w, NULL, err)) < 0)
        return ret;
    p->has_console_size = true;
    p->console_height = (uint32_t) h;
    p->console_width = (uint32_t) w;
    return 0;
}

/* ---- args, env, cwd ---- */

static int parse_args(const json_node *proc, const char *base, struct spec_process *p,
                      struct vse_err *err)
{
    sp_path path = sp_key(base, "args");
    const json_node *arr = json_get(proc, "args");
    if (json_type_of(arr) != JSON_ARRAY || json_array_len(arr) == 0)
        return sp_fail(err, path.s, "must be a non-empty array of strings");
    return sp_strv(proc, base, "args", &p->args, err);
}

static int parse_env(const json_node *proc, const char *base, struct spec_process *p,
                     struct vse_err *err)
{
    int ret = sp_strv(proc, base, "env", &p->env, err);
    if (ret < 0)
        return ret;
    for (size_t i = 0; p->env && p->env[i]; i++) {
        const char *eq = strchr(p->env[i], '=');
        if (eq == NULL || eq == p->env[i])
            return sp_fail(err, sp_idx(sp_key(base, "env").s, i).s,
                           "must have the form NAME=VALUE, not \"%s\"", p->env[i]);
    }
    return 0;
}

/* ---- capabilities ---- */

static int cap_number(const char *name, cap_value_t *out)
{
    if (!vse_str_has_prefix(name, "CAP_"))
        return -EINVAL;
    for (const char *c = name; *c; c++)
        if (!((*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '_'))
            return -EINVAL; /* libcap also takes lower case and numbers; the spec does not */
    if (cap_from_name(name, out) < 0 || *out < 0 || *out >= 64)
        return -EINVAL;
    return 0;
}

static int parse_cap_set(const json_node *caps, const char *base, const char *key,
                         uint64_t *mask, struct vse_err *err)
{
    const json_node *arr;
    int ret = sp_child(caps, base, key, JSON_ARRAY, false, &arr, err);
    if (ret < 0 || arr == NULL)
        return ret;
    sp_path path = sp_key(base, key);
    for (size_t i = 0; i < json_array_len(arr); i++) {
        const char *name = json_string(json_array_get(arr, i));
        cap_value_t cap;
        if (name == NULL)
            return sp_fail(err, sp_idx(path.s, i).s, "must be a string");
        if (cap_number(name, &cap) < 0)
            return sp_fail(err, sp_idx(path.s, i).s, "unknown capability \"%s\"", name);
        *mask |= 1ULL << cap;
    }
    return 0;
}

static int parse_capabilities(const json_node *proc, const char *base, struct spec_process *p,
                              struct vse_err *err)
{
    const json_node *n;
    int ret = sp_child(proc, base, "capabilities", JSON_OBJECT, false, &n, err);
    if (ret < 0 || n == NULL)
        return ret;
    sp_path path = sp_key(base, "capabilities");
    struct spec_capabilities *c = p->capabilities = vse_zalloc(sizeof(*c));
    if ((ret = parse_cap_set(n, path.s, "bounding", &c->bounding, err)) < 0 ||
        (ret = parse_cap_set(n, path.s, "effective", &c->effective, err)) < 0 ||
        (ret = parse_cap_set(n, path.s, "inheritable", &c->inheritable, err)) < 0 ||
        (ret = parse_cap_set(n, path.s, "permitted", &c->permitted, err)) < 0 ||
        (ret = parse_cap_set(n, path.s, "ambient", &c->ambient, err)) < 0)
        return ret;
    return 0;
}

/* ---- rlimits ---- */

struct rlimit_name {
    const char *name;
    int resource;
};

static const struct rlimit_name rlimit_names[] = {
    {"RLIMIT_AS", RLIMIT_AS},           {"RLIMIT_CORE", RLIMIT_CORE},
    {"RLIMIT_CPU", RLIMIT_CPU},         {"RLIMIT_DATA", RLIMIT_DATA},
    {"RLIMIT_FSIZE", RLIMIT_FSIZE},     {"RLIMIT_LOCKS", RLIMIT_LOCKS},
    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK}, {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
    {"RLIMIT_NICE", RLIMIT_NICE},       {"RLIMIT_NOFILE", RLIMIT_NOFILE},
    {"RLIMIT_NPROC", RLIMIT_NPROC},     {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},   {"RLIMIT_RTTIME", RLIMIT_RTTIME},
    {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING}, {"RLIMIT_STACK", RLIMIT_STACK},
};

static int rlimit_resource(const char *name)
{
    for (size_t i = 0; i < VSE_ARRAY_SIZE(rlimit_names); i++)
        if (strcmp(rlimit_names[i].name, name) == 0)
            return rlimit_names[i].resource;
    return -1;
}

static int parse_rlimit(const json_node *n, const char *path, struct spec_rlimit *r,
                        struct vse_err *err)
{
    if (json_type_of(n) != JSON_OBJECT)
        return sp_fail(err, path, "must be an object");
    int ret = sp_string(n, path, "type", true, &r->type, err);
    if (ret < 0)
        return ret;
    r->resource = rlimit_resource(r->type);
    if (r->resource < 0)
        return sp_fail(err, sp_key(path, "type").s, "unknown rlimit \"%s\"", r->type);
    if ((ret = sp_uint(n, path, "soft", true, UINT64_MAX, &r->soft, NULL, err)) < 0 ||
        (ret = sp_uint(n, path, "hard", true, UINT64_MAX, &r->hard, NULL, err)) < 0)
        return ret;
    if (r->soft > r->hard)
        return sp_fail(err, sp_key(path, "soft").s, "must not exceed hard (%llu > %llu)",
                       (unsigned long long) r->soft, (unsigned long long) r->hard);
    return 0;
}

static int parse_rlimits(const json_node *proc, const char *base, struct spec_process *p,
                         struct vse_err *err)
{
    const json_node *arr;
    int ret = sp_child(proc, base, "rlimits", JSON_ARRAY, false, &arr, err);
    if (ret < 0 || arr == NULL)
        return ret;
    sp_path path = sp_key(base, "rlimits");
    p->n_rlimits = json_array_len(arr);
    p->rlimits = vse_zalloc(p->n_rlimits * sizeof(*p->rlimits));
    for (size_t i = 0; i < p->n_rlimits; i++) {
        sp_path ip = sp_idx(path.s, i);
        ret = parse_rlimit(json_array_get(arr, i), ip.s, &p->rlimits[i], err);
        if (ret < 0)
            return ret;
        for (size_t j = 0; j < i; j++)
            if (p->rlimits[j].resource == p->rlimits[i].resource)
                return sp_fail(err, sp_key(ip.s, "type").s, "duplicate rlimit \"%s\"",
                               p->rlimits[i].type);
    }
    return 0;
}

/* ---- scheduler, ioPriority, execCPUAffinity ---- */

static const char *const sched_policies[] = {
    [SPEC_SCHED_OTHER] = "SCHED_OTHER", [SPEC_SCHED_FIFO] = "SCHED_FIFO",
    [SPEC_SCHED_RR] = "SCHED_RR",       [SPEC_SCHED_BATCH] = "SCHED_BATCH",
    [SPEC_SCHED_ISO] = "SCHED_ISO",     [SPEC_SCHED_IDLE] = "SCHED_IDLE",
    [SPEC_SCHED_DEADLINE] = "SCHED_DEADLINE",
};

/* Bit i is SCHED_FLAG_<name i> of the kernel's sched_attr.sched_flags. */
static const char *const sched_flags[] = {
    "SCHED_FLAG_RESET_ON_FORK", "SCHED_FLAG_RECLAIM",        "SCHED_FLAG_DL_OVERRUN",
    "SCHED_FLAG_KEEP_POLICY",   "SCHED_FLAG_KEEP_PARAMS",    "SCHED_FLAG_UTIL_CLAMP_MIN",
    "SCHED_FLAG_UTIL_CLAMP_MAX",
};

static int parse_sched_flags(const json_node *sched, const char *base, uint64_t *flags,
                             struct vse_err *err)
{
    _cleanup_strv_ char **names = NULL;
    int ret = sp_strv(sched, base, "flags", &names, err);
    if (ret < 0)
        return ret;
    for (size_t i = 0; names && names[i]; i++) {
        int bit = sp_lookup(names[i], sched_flags, VSE_ARRAY_SIZE(sched_flags));
        if (bit < 0)
            return sp_fail(err, sp_idx(sp_key(base, "flags").s, i).s,
                           "unknown scheduler flag \"%s\"", names[i]);
        *flags |= 1ULL << bit;
    }
    return 0;
}

static int parse_scheduler(const json_node *proc, const char *base, struct spec_process *p,
                           struct vse_err *err)
{
    const json_node *n;
    int ret = sp_child(proc, base, "scheduler", JSON_OBJECT, false, &n, err);
    if (ret < 0 || n == NULL)
        return ret;
    sp_path path = sp_key(base, "scheduler");
    struct spec_scheduler *s = p->scheduler = vse_zalloc(sizeof(*s));
    _cleanup_free_ char *policy = NULL;
    if ((ret = sp_string(n, path.s, "policy", true, &policy, err)) < 0)
        return ret;
    int idx = sp_lookup(policy, sched_policies, VSE_ARRAY_SIZE(sched_policies));
    if (idx < 0)
        return sp_fail(err, sp_key(path.s, "policy").s, "unknown scheduler policy \"%s\"",
                       policy);
    s->policy = (enum spec_sched_policy) idx;
    int64_t nice = 0, prio = 0;
    if ((ret = sp_int(n, path.s, "nice", false, -20, 19, &nice, NULL, err)) < 0 ||
        (ret = sp_int(n, path.s, "priority", false, 0, 99, &prio, NULL, err)) < 0 ||
        (ret = parse_sched_flags(n, path.s, &s->flags, err)) < 0 ||
        (ret = sp_uint(n, path.s, "runtime", false, UINT64_MAX, &s->runtime, NULL, err)) < 0 ||
        (ret = sp_uint(n, path.s, "deadline", false, UINT64_MAX, &s->deadline, NULL, err)) < 0 ||
        (ret = sp_uint(n, path.s, "period", false, UINT64_MAX, &s->period, NULL, err)) < 0)
        return ret;
    s->nice = (int32_t) nice;
    s->priority = (int32_t) prio;
    return 0;
}

static const char *const ioprio_classes[] = {NULL, "IOPRIO_CLASS_RT", "IOPRIO_CLASS_BE",
                                             "IOPRIO_CLASS_IDLE"};

static int parse_io_priority(const json_node *proc, const char *base, struct spec_process *p,
                             struct vse_err *err)
{
    const json_node *n;
    int ret = sp_child(proc, base, "ioPriority", JSON_OBJECT, false, &n, err);
    if (ret < 0 || n == NULL)
        return ret;
    sp_path path = sp_key(base, "ioPriority");
    _cleanup_free_ char *klass = NULL;
    if ((ret = sp_string(n, path.s, "class", true, &klass, err)) < 0)
        return ret;
    int idx = sp_lookup(klass, ioprio_classes, VSE_ARRAY_SIZE(ioprio_classes));
    if (idx < 0)
        return sp_fail(err, sp_key(path.s, "class").s, "unknown I/O priority class \"%s\"",
                       klass);
    int64_t prio = 0;
    if ((ret = sp_int(n, path.s, "priority", true, 0, 7, &prio, NULL, err)) < 0)
        return ret;
    p->io_priority.set = true;
    p->io_priority.klass = idx;
    p->io_priority.priority = (int) prio;
    return 0;
}

static int parse_cpu_affinity(const json_node *proc, const char *base, struct spec_process *p,
                              struct vse_err *err)
{
    const json_node *n;
    int ret = sp_child(proc, base, "execCPUAffinity", JSON_OBJECT, false, &n, err);
    if (ret < 0 || n == NULL)
        return ret;
    sp_path path = sp_key(base, "execCPUAffinity");
    if ((ret = sp_string(n, path.s, "initial", false, &p->exec_cpu_affinity_initial, err)) < 0 ||
        (ret = sp_string(n, path.s, "final", false, &p->exec_cpu_affinity_final, err)) < 0)
        return ret;
    if (p->exec_cpu_affinity_initial && !sp_valid_cpu_list(p->exec_cpu_affinity_initial))
        return sp_fail(err, sp_key(path.s, "initial").s, "invalid CPU list \"%s\"",
                       p->exec_cpu_affinity_initial);
    if (p->exec_cpu_affinity_final && !sp_valid_cpu_list(p->exec_cpu_affinity_final))
        return sp_fail(err, sp_key(path.s, "final").s, "invalid CPU list \"%s\"",
                       p->exec_cpu_affinity_final);
    return 0;
}

/* ---- the section ---- */

int sp_parse_process(const json_node *n, const char *base, struct spec_process *p,
                     struct vse_err *err)
{
    int ret;
    if ((ret = sp_bool(n, base, "terminal", &p->terminal, err)) < 0 ||
        (ret = parse_console_size(n, base, p, err)) < 0 ||
        (ret = parse_user(n, base, &p->user, err)) < 0 ||
        (ret = parse_args(n, base, p, err)) < 0 ||
        (ret = parse_env(n, base, p, err)) < 0 ||
        (ret = sp_abs_path(n, base, "cwd", true, &p->cwd, err)) < 0 ||
        (ret = parse_capabilities(n, base, p, err)) < 0 ||
        (ret = parse_rlimits(n, base, p, err)) < 0 ||
        (ret = sp_bool(n, base, "noNewPrivileges", &p->no_new_privileges, err)) < 0 ||
        (ret = sp_string(n, base, "apparmorProfile", false, &p->apparmor_profile, err)) < 0 ||
        (ret = sp_int(n, base, "oomScoreAdj", false, -1000, 1000, &p->oom_score_adj.value,
                      &p->oom_score_adj.set, err)) < 0 ||
        (ret = sp_string(n, base, "selinuxLabel", false, &p->selinux_label, err)) < 0 ||
        (ret = parse_scheduler(n, base, p, err)) < 0 ||
        (ret = parse_io_priority(n, base, p, err)) < 0 ||
        (ret = parse_cpu_affinity(n, base, p, err)) < 0)
        return ret;
    return 0;
}
