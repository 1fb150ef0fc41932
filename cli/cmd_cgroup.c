/* pause, resume, update: the commands that act on the container's cgroup. */
#include "cli/cli.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "spec/spec.h"

int cmd_pause(struct cli_ctx *c, int argc, char **argv)
{
    static const struct cli_cmd_desc d = {
        "pause", "<container-id>", "Suspend all processes inside the container (freezer).", 1,
        1};
    return cli_id_command(c, &d, runtime_pause, argc, argv);
}

int cmd_resume(struct cli_ctx *c, int argc, char **argv)
{
    static const struct cli_cmd_desc d = {
        "resume", "<container-id>", "Resume all processes that have been previously paused.",
        1, 1};
    return cli_id_command(c, &d, runtime_resume, argc, argv);
}

/* ---- update ---- */
enum {
    U_RESOURCES, U_BLKIO_WEIGHT, U_CPU_PERIOD, U_CPU_QUOTA, U_CPU_SHARES, U_CPU_RT_PERIOD,
    U_CPU_RT_RUNTIME, U_CPUSET_CPUS, U_CPUSET_MEMS, U_MEMORY, U_MEMORY_RESERVATION,
    U_MEMORY_SWAP, U_KERNEL_MEMORY, U_KERNEL_MEMORY_TCP, U_PIDS_LIMIT, U_CPU_BURST, U_CPU_IDLE,
    U_L3_CACHE, U_MEM_BW
};

static const struct cli_opt update_opts[] = {
    {"resources", 'r', true, U_RESOURCES,
     "path to a file with the resources (linux.resources JSON) or '-' for stdin; flags given "
     "too override its values"},
    {"blkio-weight", 0, true, U_BLKIO_WEIGHT, "per cgroup block IO weight (10-1000)"},
    {"cpu-period", 0, true, U_CPU_PERIOD, "CPU CFS period (usecs)"},
    {"cpu-quota", 0, true, U_CPU_QUOTA, "CPU CFS quota (usecs per period)"},
    {"cpu-share", 0, true, U_CPU_SHARES, "CPU shares (relative weight)"},
    {"cpu-shares", 0, true, U_CPU_SHARES, NULL},
    {"cpu-rt-period", 0, true, U_CPU_RT_PERIOD, "CPU realtime period (usecs)"},
    {"cpu-rt-runtime", 0, true, U_CPU_RT_RUNTIME, "CPU realtime runtime (usecs per period)"},
    {"cpu-burst", 0, true, U_CPU_BURST, "CPU CFS burst (usecs)"},
    {"cpu-idle", 0, true, U_CPU_IDLE, "SCHED_IDLE for the cgroup (0 or 1)"},
    {"cpuset-cpus", 0, true, U_CPUSET_CPUS, "CPU(s) to use"},
    {"cpuset-mems", 0, true, U_CPUSET_MEMS, "memory node(s) to use"},
    {"memory", 0, true, U_MEMORY, "memory limit (bytes, or 100m, 1g, ...)"},
    {"memory-reservation", 0, true, U_MEMORY_RESERVATION, "memory soft limit"},
    {"memory-swap", 0, true, U_MEMORY_SWAP, "memory + swap limit; -1 for unlimited swap"},
    {"kernel-memory", 0, true, U_KERNEL_MEMORY, "kernel memory limit (cgroup v1)"},
    {"kernel-memory-tcp", 0, true, U_KERNEL_MEMORY_TCP, "kernel TCP buffer limit (cgroup v1)"},
    {"pids-limit", 0, true, U_PIDS_LIMIT, "maximum number of pids (-1 or 0: unlimited)"},
    {"l3-cache-schema", 0, true, U_L3_CACHE, NULL},
    {"mem-bw-schema", 0, true, U_MEM_BW, NULL},
    {0},
};

struct flag_value {
    int id;
    const char *value;
};

struct update_flags {
    const char *resources_file;
    struct flag_value values[32];
    size_t n;
};

/* Values are only recorded here; they are applied after the --resources file is read, so
 * flags win whatever their order. */
static int set_update(void *data, int id, const char *value, struct vse_err *err)
{
    struct update_flags *u = data;
    if (id == U_RESOURCES) {
        u->resources_file = value;
        return 0;
    }
    if (id == U_L3_CACHE || id == U_MEM_BW)
        return vse_fail(err, ENOTSUP, "Intel RDT (l3-cache-schema, mem-bw-schema) is not "
                                      "supported by vse");
    if (u->n >= VSE_ARRAY_SIZE(u->values))
        return vse_fail(err, E2BIG, "too many update flags");
    u->values[u->n++] = (struct flag_value){id, value};
    return 0;
}

static struct spec_memory *memory_of(struct spec_resources *r)
{
    if (r->memory == NULL)
        r->memory = vse_zalloc(sizeof(*r->memory));
    return r->memory;
}

static struct spec_cpu *cpu_of(struct spec_resources *r)
{
    if (r->cpu == NULL)
        r->cpu = vse_zalloc(sizeof(*r->cpu));
    return r->cpu;
}

static struct spec_blkio *blkio_of(struct spec_resources *r)
{
    if (r->block_io == NULL)
        r->block_io = vse_zalloc(sizeof(*r->block_io));
    return r->block_io;
}

static const char *flag_name(int id)
{
    for (const struct cli_opt *o = update_opts; o->name; o++)
        if (o->id == id)
            return o->name;
    return "?";
}

static int bad_value(const struct flag_value *f, const char *what, struct vse_err *err)
{
    return vse_fail(err, EINVAL, "update --%s: invalid value \"%s\" (%s)", flag_name(f->id),
                    f->value, what);
}

static int apply_size(const struct flag_value *f, opt_i64 *out, struct vse_err *err)
{
    int64_t v;
    if (cli_parse_size(f->value, &v) < 0)
        return bad_value(f, "a size in bytes, like 1048576, 100m or 1g; -1 for unlimited",
                         err);
    *out = (opt_i64){true, v};
    return 0;
}

static int apply_u64(const struct flag_value *f, opt_u64 *out, struct vse_err *err)
{
    uint64_t v;
    if (vse_parse_uint64(f->value, &v) < 0)
        return bad_value(f, "a non-negative integer", err);
    *out = (opt_u64){true, v};
    return 0;
}

static int apply_i64(const struct flag_value *f, opt_i64 *out, struct vse_err *err)
{
    int64_t v;
    if (vse_parse_int64(f->value, &v) < 0)
        return bad_value(f, "an integer", err);
    *out = (opt_i64){true, v};
    return 0;
}

static void replace_str(char **dst, const char *value)
{
    free(*dst);
    *dst = vse_strdup(value);
}

static int apply_cpu_flag(struct spec_resources *r, const struct flag_value *f,
                          struct vse_err *err)
{
    switch (f->id) {
    case U_CPU_PERIOD:
        return apply_u64(f, &cpu_of(r)->period, err);
    case U_CPU_QUOTA:
        return apply_i64(f, &cpu_of(r)->quota, err);
    case U_CPU_SHARES:
        return apply_u64(f, &cpu_of(r)->shares, err);
    case U_CPU_RT_PERIOD:
        return apply_u64(f, &cpu_of(r)->realtime_period, err);
    case U_CPU_RT_RUNTIME:
        return apply_i64(f, &cpu_of(r)->realtime_runtime, err);
    case U_CPU_BURST:
        return apply_u64(f, &cpu_of(r)->burst, err);
    case U_CPU_IDLE:
        return apply_i64(f, &cpu_of(r)->idle, err);
    case U_CPUSET_CPUS:
        replace_str(&cpu_of(r)->cpus, f->value);
        return 0;
    case U_CPUSET_MEMS:
        replace_str(&cpu_of(r)->mems, f->value);
        return 0;
    }
    return 1;
}

static int apply_flag(struct spec_resources *r, const struct flag_value *f, struct vse_err *err)
{
    int ret = apply_cpu_flag(r, f, err);
    if (ret <= 0)
        return ret;
    switch (f->id) {
    case U_BLKIO_WEIGHT:
        return apply_u64(f, &blkio_of(r)->weight, err);
    case U_MEMORY:
        return apply_size(f, &memory_of(r)->limit, err);
    case U_MEMORY_RESERVATION:
        return apply_size(f, &memory_of(r)->reservation, err);
    case U_MEMORY_SWAP:
        return apply_size(f, &memory_of(r)->swap, err);
    case U_KERNEL_MEMORY:
        return apply_size(f, &memory_of(r)->kernel, err);
    case U_KERNEL_MEMORY_TCP:
        return apply_size(f, &memory_of(r)->kernel_tcp, err);
    case U_PIDS_LIMIT:
        return apply_i64(f, &r->pids_limit, err);
    }
    return 0;
}

/* The --resources file ("-": stdin) parsed, or empty resources without one. */
static int load_resources(const char *file, struct spec_resources **out, struct vse_err *err)
{
    if (file == NULL) {
        *out = vse_zalloc(sizeof(**out));
        return 0;
    }
    _cleanup_free_ char *text = NULL;
    size_t len = 0;
    const char *path = strcmp(file, "-") == 0 ? "/dev/stdin" : file;
    int r = vse_read_file_at(AT_FDCWD, path, &text, &len, err);
    if (r < 0)
        return r;
    r = spec_parse_resources(text, out, err);
    if (r < 0)
        return vse_err_prefix(err, "update --resources %s", file);
    return 0;
}

static void resources_cleanup(struct spec_resources **r)
{
    if (*r)
        spec_resources_free(*r);
}

int cmd_update(struct cli_ctx *c, int argc, char **argv)
{
    static const struct cli_cmd_desc d = {
        "update", "[command options] <container-id>",
        "Update container resource constraints (cgroup limits).", 1, 1};
    struct update_flags u = {0};
    const struct cli_parse p = {.opts = update_opts, .set = set_update, .data = &u};
    _cleanup_strv_ char **pos = NULL;
    int status;
    if (!cli_cmd_begin(c, &d, &p, argc, argv, &pos, &status))
        return status;
    struct vse_err err = {0};
    __attribute__((cleanup(resources_cleanup))) struct spec_resources *res = NULL;
    if (load_resources(u.resources_file, &res, &err) < 0)
        return cli_error_err(c, &err);
    for (size_t i = 0; i < u.n; i++)
        if (apply_flag(res, &u.values[i], &err) < 0)
            return cli_error_err(c, &err);
    if (runtime_update(&c->rt, pos[0], res, &err) < 0)
        return cli_error_err(c, &err);
    return 0;
}
