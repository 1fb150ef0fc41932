/* Process attributes applied inside the container before execve: rlimits, oom_score_adj,
 * personality, scheduler, I/O priority and CPU affinity. See process/process.h. */
#include "process/process.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"

#ifndef CAP_SYS_RESOURCE
#define CAP_SYS_RESOURCE 24
#endif

/* ---- rlimits ---- */

static bool holds_cap_sys_resource_bound(void)
{
    return prctl(PR_CAPBSET_READ, CAP_SYS_RESOURCE, 0, 0, 0) == 1;
}

static int explain_rlimit_eperm(size_t i, const struct spec_rlimit *r, const struct rlimit *cur,
                                struct vse_err *err)
{
    if (r->hard > cur->rlim_max) {
        const char *why = holds_cap_sys_resource_bound()
                              ? "this process lacks CAP_SYS_RESOURCE"
                              : "CAP_SYS_RESOURCE is not in this process's capability bounding "
                                "set (the host withholds it)";
        return vse_fail(err, EPERM,
                        "process.rlimits[%zu] %s: setrlimit: cannot raise the hard limit from "
                        "%llu to %llu: %s",
                        i, r->type ? r->type : "?", (unsigned long long) cur->rlim_max,
                        (unsigned long long) r->hard, why);
    }
    return vse_fail_code(err, EPERM, "process.rlimits[%zu] %s: setrlimit", i,
                         r->type ? r->type : "?");
}

static int apply_one_rlimit(size_t i, const struct spec_rlimit *r, struct vse_err *err)
{
    const char *name = r->type ? r->type : "?";
    if (r->soft > r->hard)
        return vse_fail(err, EINVAL,
                        "process.rlimits[%zu] %s: soft limit %llu is above the hard limit %llu", i,
                        name, (unsigned long long) r->soft, (unsigned long long) r->hard);
    struct rlimit cur;
    if (getrlimit(r->resource, &cur) < 0)
        return vse_fail_errno(err, "process.rlimits[%zu] %s: getrlimit", i, name);
    struct rlimit want = {.rlim_cur = r->soft, .rlim_max = r->hard};
    if (setrlimit(r->resource, &want) == 0)
        return 0;
    if (errno == EPERM)
        return explain_rlimit_eperm(i, r, &cur, err);
    return vse_fail_errno(err, "process.rlimits[%zu] %s: setrlimit(soft %llu, hard %llu)", i, name,
                          (unsigned long long) r->soft, (unsigned long long) r->hard);
}

int process_apply_rlimits(const struct spec_process *p, struct vse_err *err)
{
    if (p == NULL)
        return 0;
    for (size_t i = 0; i < p->n_rlimits; i++) {
        int ret = apply_one_rlimit(i, &p->rlimits[i], err);
        if (ret < 0)
            return ret;
    }
    return 0;
}

/* ---- oom_score_adj ---- */

int process_apply_oom_score_adj(const struct spec_process *p, struct vse_err *err)
{
    if (p == NULL || !p->oom_score_adj.set)
        return 0;
    int64_t v = p->oom_score_adj.value;
    if (v < -1000 || v > 1000)
        return vse_fail(err, EINVAL, "process.oomScoreAdj: %lld is outside -1000..1000",
                        (long long) v);
    _cleanup_close_ int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return vse_fail_errno(err, "process.oomScoreAdj: open /proc/self/oom_score_adj");
    struct statfs sfs;
    if (fstatfs(fd, &sfs) < 0)
        return vse_fail_errno(err, "process.oomScoreAdj: fstatfs /proc/self/oom_score_adj");
    if (sfs.f_type != PROC_SUPER_MAGIC)
        return vse_fail(err, EXDEV,
                        "process.oomScoreAdj: /proc/self/oom_score_adj is not on procfs "
                        "(filesystem magic 0x%llx): refusing to write",
                        (unsigned long long) sfs.f_type);
    char buf[32];
    int n = snprintf(buf, sizeof(buf), "%lld", (long long) v);
    if (write(fd, buf, (size_t) n) != n) {
        if (errno == EACCES)
            return vse_fail(err, EACCES,
                            "process.oomScoreAdj: writing %lld: lowering oom_score_adj needs "
                            "CAP_SYS_RESOURCE, which this process does not hold",
                            (long long) v);
        return vse_fail_errno(err, "process.oomScoreAdj: writing %lld", (long long) v);
    }
    return 0;
}

/* ---- personality ---- */

struct persona_flag {
    const char *name;
    unsigned long value;
};

static const struct persona_flag persona_flags[] = {
    {"UNAME26", UNAME26},
    {"ADDR_NO_RANDOMIZE", ADDR_NO_RANDOMIZE},
    {"FDPIC_FUNCPTRS", FDPIC_FUNCPTRS},
    {"MMAP_PAGE_ZERO", MMAP_PAGE_ZERO},
    {"ADDR_COMPAT_LAYOUT", ADDR_COMPAT_LAYOUT},
    {"READ_IMPLIES_EXEC", READ_IMPLIES_EXEC},
    {"ADDR_LIMIT_32BIT", ADDR_LIMIT_32BIT},
    {"SHORT_INODE", SHORT_INODE},
    {"WHOLE_SECONDS", WHOLE_SECONDS},
    {"STICKY_TIMEOUTS", STICKY_TIMEOUTS},
    {"ADDR_LIMIT_3GB", ADDR_LIMIT_3GB},
};

static int persona_flag_value(const char *name, unsigned long *out)
{
    for (size_t i = 0; i < VSE_ARRAY_SIZE(persona_flags); i++) {
        if (strcmp(persona_flags[i].name, name) == 0) {
            *out = persona_flags[i].value;
            return 0;
        }
    }
    return -EINVAL;
}

int process_apply_personality(const struct spec_linux *l, struct vse_err *err)
{
    if (l == NULL || l->personality == NULL)
        return 0;
    const struct spec_personality *pers = l->personality;
    unsigned long persona;
    if (pers->domain == NULL || strcmp(pers->domain, "LINUX") == 0)
        persona = PER_LINUX;
    else if (strcmp(pers->domain, "LINUX32") == 0)
        persona = PER_LINUX32;
    else
        return vse_fail(err, EINVAL,
                        "linux.personality.domain: unknown domain \"%s\" (LINUX or LINUX32)",
                        pers->domain);
    for (size_t i = 0; pers->flags && pers->flags[i]; i++) {
        unsigned long flag;
        if (persona_flag_value(pers->flags[i], &flag) < 0)
            return vse_fail(err, EINVAL, "linux.personality.flags[%zu]: unknown flag \"%s\"", i,
                            pers->flags[i]);
        persona |= flag;
    }
    if (personality(persona) < 0)
        return vse_fail_errno(err, "linux.personality: personality(0x%lx)", persona);
    return 0;
}

/* ---- scheduler ---- */

/* The kernel's struct sched_attr (include/uapi/linux/sched/types.h, SCHED_ATTR_SIZE_VER0). */
struct vse_sched_attr {
    uint32_t size;
    uint32_t sched_policy;
    uint64_t sched_flags;
    int32_t sched_nice;
    uint32_t sched_priority;
    uint64_t sched_runtime;
    uint64_t sched_deadline;
    uint64_t sched_period;
};

static int sched_policy_value(enum spec_sched_policy p)
{
    switch (p) {
    case SPEC_SCHED_OTHER: return 0;
    case SPEC_SCHED_FIFO: return 1;
    case SPEC_SCHED_RR: return 2;
    case SPEC_SCHED_BATCH: return 3;
    case SPEC_SCHED_ISO: return 4; /* reserved, mainline kernels reject it */
    case SPEC_SCHED_IDLE: return 5;
    case SPEC_SCHED_DEADLINE: return 6;
    }
    return -1;
}

static const char *const sched_policy_names[] = {
    "SCHED_OTHER", "SCHED_FIFO", "SCHED_RR", "SCHED_BATCH", "SCHED_ISO", "SCHED_IDLE",
    "SCHED_DEADLINE",
};

int process_apply_scheduler(const struct spec_process *p, struct vse_err *err)
{
    if (p == NULL || p->scheduler == NULL)
        return 0;
    const struct spec_scheduler *s = p->scheduler;
    int policy = sched_policy_value(s->policy);
    if (policy < 0)
        return vse_fail(err, EINVAL, "process.scheduler.policy: unknown policy %d", s->policy);
    struct vse_sched_attr attr = {
        .size = sizeof(attr),
        .sched_policy = (uint32_t) policy,
        .sched_flags = s->flags,
        .sched_nice = s->nice,
        .sched_priority = (uint32_t) s->priority,
        .sched_runtime = s->runtime,
        .sched_deadline = s->deadline,
        .sched_period = s->period,
    };
    if (syscall(SYS_sched_setattr, 0, &attr, 0) < 0)
        return vse_fail_errno(err,
                              "process.scheduler: sched_setattr(policy %s, nice %d, priority %d, "
                              "flags 0x%llx)",
                              sched_policy_names[s->policy], s->nice, s->priority,
                              (unsigned long long) s->flags);
    return 0;
}

/* ---- I/O priority ---- */

#define VSE_IOPRIO_WHO_PROCESS 1
#define VSE_IOPRIO_CLASS_SHIFT 13

int process_apply_io_priority(const struct spec_process *p, struct vse_err *err)
{
    if (p == NULL || !p->io_priority.set)
        return 0;
    const struct spec_io_priority *io = &p->io_priority;
    if (io->klass < 1 || io->klass > 3)
        return vse_fail(err, EINVAL, "process.ioPriority.class: unknown class %d", io->klass);
    if (io->priority < 0 || io->priority > 7)
        return vse_fail(err, EINVAL, "process.ioPriority.priority: %d is outside 0..7",
                        io->priority);
    int value = (io->klass << VSE_IOPRIO_CLASS_SHIFT) | io->priority;
    if (syscall(SYS_ioprio_set, VSE_IOPRIO_WHO_PROCESS, 0, value) < 0)
        return vse_fail_errno(err, "process.ioPriority: ioprio_set(class %d, priority %d)",
                              io->klass, io->priority);
    return 0;
}

/* ---- CPU affinity ---- */

#define VSE_MAX_CPUS 8192

static int parse_cpu_number(const char *s, const char **end, long *out)
{
    if (*s < '0' || *s > '9')
        return -EINVAL;
    char *e;
    errno = 0;
    long v = strtol(s, &e, 10);
    if (errno != 0 || v < 0 || v >= VSE_MAX_CPUS)
        return -ERANGE;
    *end = e;
    *out = v;
    return 0;
}

/* Parses "0-3,7" into set (sized for VSE_MAX_CPUS). */
static int parse_cpu_list(const char *list, cpu_set_t *set, size_t setsize)
{
    const char *s = list;
    if (*s == '\0')
        return -EINVAL;
    while (*s) {
        long lo, hi;
        if (parse_cpu_number(s, &s, &lo) < 0)
            return -EINVAL;
        hi = lo;
        if (*s == '-' && parse_cpu_number(s + 1, &s, &hi) < 0)
            return -EINVAL;
        if (hi < lo)
            return -EINVAL;
        for (long c = lo; c <= hi; c++)
            CPU_SET_S((size_t) c, setsize, set);
        if (*s == ',')
            s++;
        else if (*s != '\0')
            return -EINVAL;
    }
    return 0;
}

static void cpu_set_freep(cpu_set_t **set)
{
    if (*set)
        CPU_FREE(*set);
}

int process_apply_cpu_affinity(const char *cpu_list, struct vse_err *err)
{
    if (cpu_list == NULL)
        return 0;
    __attribute__((cleanup(cpu_set_freep))) cpu_set_t *set = CPU_ALLOC(VSE_MAX_CPUS);
    if (set == NULL)
        return vse_fail(err, ENOMEM, "process.execCPUAffinity: out of memory");
    size_t setsize = CPU_ALLOC_SIZE(VSE_MAX_CPUS);
    CPU_ZERO_S(setsize, set);
    if (parse_cpu_list(cpu_list, set, setsize) < 0)
        return vse_fail(err, EINVAL,
                        "process.execCPUAffinity: invalid CPU list \"%s\" (want e.g. \"0-3,7\")",
                        cpu_list);
    if (sched_setaffinity(0, setsize, set) < 0)
        return vse_fail_errno(err, "process.execCPUAffinity: sched_setaffinity(\"%s\")",
                              cpu_list);
    return 0;
}
