/* linux.resources of config.json (also `vse update -r FILE`). */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "spec/parse_internal.h"

/* ---- devices ---- */

static int parse_device_rule(const json_node *n, const char *path, struct spec_device_rule *d,
                             struct vse_err *err)
{
    if (json_type_of(n) != JSON_OBJECT)
        return sp_fail(err, path, "must be an object");
    const json_node *allow;
    int ret = sp_child(n, path, "allow", JSON_BOOL, true, &allow, err);
    if (ret < 0)
        return ret;
    d->allow = json_bool(allow);
    d->type = 'a';
    d->major = d->minor = -1;
    _cleanup_free_ char *type = NULL;
    if ((ret = sp_string(n, path, "type", false, &type, err)) < 0)
        return ret;
    if (type) {
        if (strlen(type) != 1 || strchr("acb", type[0]) == NULL)
            return sp_fail(err, sp_key(path, "type").s,
                           "unknown device type \"%s\" (expected a, c or b)", type);
        d->type = type[0];
    }
    if ((ret = sp_int(n, path, "major", false, -1, INT64_MAX, &d->major, NULL, err)) < 0 ||
        (ret = sp_int(n, path, "minor", false, -1, INT64_MAX, &d->minor, NULL, err)) < 0 ||
        (ret = sp_string(n, path, "access", false, &d->access, err)) < 0)
        return ret;
    if (d->access && (d->access[0] == '\0' || strspn(d->access, "rwm") != strlen(d->access)))
        return sp_fail(err, sp_key(path, "access").s,
                       "must be a combination of r, w and m, not \"%s\"", d->access);
    return 0;
}

static int parse_device_rules(const json_node *res, const char *base, struct spec_resources *r,
                              struct vse_err *err)
{
    const json_node *arr;
    int ret = sp_child(res, base, "devices", JSON_ARRAY, false, &arr, err);
    if (ret < 0 || arr == NULL)
        return ret;
    sp_path path = sp_key(base, "devices");
    r->n_devices = json_array_len(arr);
    r->devices = vse_zalloc(r->n_devices * sizeof(*r->devices));
    for (size_t i = 0; i < r->n_devices; i++) {
        ret = parse_device_rule(json_array_get(arr, i), sp_idx(path.s, i).s, &r->devices[i],
                                err);
        if (ret < 0)
            return ret;
    }
    return 0;
}

/* ---- memory, cpu, pids ---- */

/* Memory amounts: bytes, or -1 for no limit. */
static int mem_value(const json_node *n, const char *base, const char *key, opt_i64 *out,
                     struct vse_err *err)
{
    return sp_int(n, base, key, false, -1, INT64_MAX, &out->value, &out->set, err);
}

static int parse_memory(const json_node *res, const char *base, struct spec_resources *r,
                        struct vse_err *err)
{
    const json_node *n;
    int ret = sp_child(res, base, "memory", JSON_OBJECT, false, &n, err);
    if (ret < 0 || n == NULL)
        return ret;
    sp_path path = sp_key(base, "memory");
    struct spec_memory *m = r->memory = vse_zalloc(sizeof(*m));
    if ((ret = mem_value(n, path.s, "limit", &m->limit, err)) < 0 ||
        (ret = mem_value(n, path.s, "reservation", &m->reservation, err)) < 0 ||
        (ret = mem_value(n, path.s, "swap", &m->swap, err)) < 0 ||
        (ret = mem_value(n, path.s, "kernel", &m->kernel, err)) < 0 ||
        (ret = mem_value(n, path.s, "kernelTCP", &m->kernel_tcp, err)) < 0 ||
        (ret = sp_uint(n, path.s, "swappiness", false, 100, &m->swappiness.value,
                       &m->swappiness.set, err)) < 0 ||
        (ret = sp_opt_bool(n, path.s, "disableOOMKiller", &m->disable_oom_killer, err)) < 0 ||
        (ret = sp_opt_bool(n, path.s, "useHierarchy", &m->use_hierarchy, err)) < 0 ||
        (ret = sp_bool(n, path.s, "checkBeforeUpdate", &m->check_before_update, err)) < 0)
        return ret;
    return 0;
}

static int cpu_list(const json_node *n, const char *base, const char *key, char **out,
                    struct vse_err *err)
{
    int ret = sp_string(n, base, key, false, out, err);
    if (ret < 0 || *out == NULL || (*out)[0] == '\0') /* "" leaves the setting alone */
        return ret;
    if (!sp_valid_cpu_list(*out))
        return sp_fail(err, sp_key(base, key).s, "invalid list \"%s\" (e.g. \"0-3,7\")", *out);
    return 0;
}

static int parse_cpu(const json_node *res, const char *base, struct spec_resources *r,
                     struct vse_err *err)
{
    const json_node *n;
    int ret = sp_child(res, base, "cpu", JSON_OBJECT, false, &n, err);
    if (ret < 0 || n == NULL)
        return ret;
    sp_path path = sp_key(base, "cpu");
    const char *p = path.s;
    struct spec_cpu *c = r->cpu = vse_zalloc(sizeof(*c));
    if ((ret = sp_opt_u64(n, p, "shares", &c->shares, err)) < 0 ||
        (ret = sp_int(n, p, "quota", false, -1, INT64_MAX, &c->quota.value, &c->quota.set,
                      err)) < 0 ||
        (ret = sp_opt_u64(n, p, "burst", &c->burst, err)) < 0 ||
        (ret = sp_opt_u64(n, p, "period", &c->period, err)) < 0 ||
        (ret = sp_opt_i64(n, p, "realtimeRuntime", &c->realtime_runtime, err)) < 0 ||
        (ret = sp_opt_u64(n, p, "realtimePeriod", &c->realtime_period, err)) < 0 ||
        (ret = cpu_list(n, p, "cpus", &c->cpus, err)) < 0 ||
        (ret = cpu_list(n, p, "mems", &c->mems, err)) < 0 ||
        (ret = sp_int(n, p, "idle", false, 0, 1, &c->idle.value, &c->idle.set, err)) < 0)
        return ret;
    return 0;
}

static int parse_pids(const json_node *res, const char *base, struct spec_resources *r,
                      struct vse_err *err)
{
    const json_node *n;
    int ret = sp_child(res, base, "pids", JSON_OBJECT, false, &n, err);
    if (ret < 0 || n == NULL)
        return ret;
    /* 0 or a negative value means no limit, as runc and crun read it */
    return sp_opt_i64(n, sp_key(base, "pids").s, "limit", &r->pids_limit, err);
}

/* ---- blockIO ---- */

static int parse_weight_device(const json_node *n, const char *path,
                               struct spec_blkio_weight_device *d, struct vse_err *err)
{
    if (json_type_of(n) != JSON_OBJECT)
        return sp_fail(err, path, "must be an object");
    int ret;
    if ((ret = sp_int(n, path, "major", true, 0, INT64_MAX, &d->major, NULL, err)) < 0 ||
        (ret = sp_int(n, path, "minor", true, 0, INT64_MAX, &d->minor, NULL, err)) < 0 ||
        (ret = sp_uint(n, path, "weight", false, 1000, &d->weight.value, &d->weight.set, err)) <
            0 ||
        (ret = sp_uint(n, path, "leafWeight", false, 1000, &d->leaf_weight.value,
                       &d->leaf_weight.set, err)) < 0)
        return ret;
    return 0;
}

static int parse_weight_devices(const json_node *bio, const char *base, struct spec_blkio *b,
                                struct vse_err *err)
{
    const json_node *arr;
    int ret = sp_child(bio, base, "weightDevice", JSON_ARRAY, false, &arr, err);
    if (ret < 0 || arr == NULL)
        return ret;
    sp_path path = sp_key(base, "weightDevice");
    b->n_weight_device = json_array_len(arr);
    b->weight_device = vse_zalloc(b->n_weight_device * sizeof(*b->weight_device));
    for (size_t i = 0; i < b->n_weight_device; i++) {
        ret = parse_weight_device(json_array_get(arr, i), sp_idx(path.s, i).s,
                                  &b->weight_device[i], err);
        if (ret < 0)
            return ret;
    }
    return 0;
}

static int parse_throttle(const json_node *bio, const char *base, const char *key,
                          struct spec_blkio_throttle **out, size_t *n_out, struct vse_err *err)
{
    const json_node *arr;
    int ret = sp_child(bio, base, key, JSON_ARRAY, false, &arr, err);
    if (ret < 0 || arr == NULL)
        return ret;
    sp_path path = sp_key(base, key);
    *n_out = json_array_len(arr);
    *out = vse_zalloc(*n_out * sizeof(**out));
    for (size_t i = 0; i < *n_out; i++) {
        const json_node *n = json_array_get(arr, i);
        sp_path ip = sp_idx(path.s, i);
        struct spec_blkio_throttle *t = &(*out)[i];
        if (json_type_of(n) != JSON_OBJECT)
            return sp_fail(err, ip.s, "must be an object");
        if ((ret = sp_int(n, ip.s, "major", true, 0, INT64_MAX, &t->major, NULL, err)) < 0 ||
            (ret = sp_int(n, ip.s, "minor", true, 0, INT64_MAX, &t->minor, NULL, err)) < 0 ||
            (ret = sp_uint(n, ip.s, "rate", true, UINT64_MAX, &t->rate, NULL, err)) < 0)
            return ret;
    }
    return 0;
}

static int parse_block_io(const json_node *res, const char *base, struct spec_resources *r,
                          struct vse_err *err)
{
    const json_node *n;
    int ret = sp_child(res, base, "blockIO", JSON_OBJECT, false, &n, err);
    if (ret < 0 || n == NULL)
        return ret;
    sp_path path = sp_key(base, "blockIO");
    const char *p = path.s;
    struct spec_blkio *b = r->block_io = vse_zalloc(sizeof(*b));
    if ((ret = sp_uint(n, p, "weight", false, 1000, &b->weight.value, &b->weight.set, err)) <
            0 ||
        (ret = sp_uint(n, p, "leafWeight", false, 1000, &b->leaf_weight.value,
                       &b->leaf_weight.set, err)) < 0 ||
        (ret = parse_weight_devices(n, p, b, err)) < 0 ||
        (ret = parse_throttle(n, p, "throttleReadBpsDevice", &b->throttle_read_bps,
                              &b->n_throttle_read_bps, err)) < 0 ||
        (ret = parse_throttle(n, p, "throttleWriteBpsDevice", &b->throttle_write_bps,
                              &b->n_throttle_write_bps, err)) < 0 ||
        (ret = parse_throttle(n, p, "throttleReadIOPSDevice", &b->throttle_read_iops,
                              &b->n_throttle_read_iops, err)) < 0 ||
        (ret = parse_throttle(n, p, "throttleWriteIOPSDevice", &b->throttle_write_iops,
                              &b->n_throttle_write_iops, err)) < 0)
        return ret;
    return 0;
}

/* ---- hugepages, network, unified ---- */

/* "2MB", "1GB", "64KB": what the hugetlb controller's file names carry. */
static bool valid_page_size(const char *s)
{
    size_t digits = strspn(s, "0123456789");
    if (digits == 0 || s[0] == '0')
        return false;
    const char *unit = s + digits;
    return strcmp(unit, "KB") == 0 || strcmp(unit, "MB") == 0 || strcmp(unit, "GB") == 0;
}

static int parse_hugepages(const json_node *res, const char *base, struct spec_resources *r,
                           struct vse_err *err)
{
    const json_node *arr;
    int ret = sp_child(res, base, "hugepageLimits", JSON_ARRAY, false, &arr, err);
    if (ret < 0 || arr == NULL)
        return ret;
    sp_path path = sp_key(base, "hugepageLimits");
    r->n_hugepage_limits = json_array_len(arr);
    r->hugepage_limits = vse_zalloc(r->n_hugepage_limits * sizeof(*r->hugepage_limits));
    for (size_t i = 0; i < r->n_hugepage_limits; i++) {
        const json_node *n = json_array_get(arr, i);
        sp_path ip = sp_idx(path.s, i);
        struct spec_hugepage_limit *h = &r->hugepage_limits[i];
        if (json_type_of(n) != JSON_OBJECT)
            return sp_fail(err, ip.s, "must be an object");
        if ((ret = sp_string(n, ip.s, "pageSize", true, &h->page_size, err)) < 0)
            return ret;
        if (!valid_page_size(h->page_size))
            return sp_fail(err, sp_key(ip.s, "pageSize").s,
                           "invalid page size \"%s\" (e.g. \"2MB\")", h->page_size);
        if ((ret = sp_uint(n, ip.s, "limit", true, UINT64_MAX, &h->limit, NULL, err)) < 0)
            return ret;
    }
    return 0;
}

static int parse_priorities(const json_node *net, const char *base, struct spec_resources *r,
                            struct vse_err *err)
{
    const json_node *arr;
    int ret = sp_child(net, base, "priorities", JSON_ARRAY, false, &arr, err);
    if (ret < 0 || arr == NULL)
        return ret;
    sp_path path = sp_key(base, "priorities");
    r->n_net_priorities = json_array_len(arr);
    r->net_priorities = vse_zalloc(r->n_net_priorities * sizeof(*r->net_priorities));
    for (size_t i = 0; i < r->n_net_priorities; i++) {
        const json_node *n = json_array_get(arr, i);
        sp_path ip = sp_idx(path.s, i);
        struct spec_net_priority *p = &r->net_priorities[i];
        if (json_type_of(n) != JSON_OBJECT)
            return sp_fail(err, ip.s, "must be an object");
        if ((ret = sp_string(n, ip.s, "name", true, &p->name, err)) < 0 ||
            (ret = sp_u32(n, ip.s, "priority", true, &p->priority, err)) < 0)
            return ret;
    }
    return 0;
}

static int parse_network(const json_node *res, const char *base, struct spec_resources *r,
                         struct vse_err *err)
{
    const json_node *n;
    int ret = sp_child(res, base, "network", JSON_OBJECT, false, &n, err);
    if (ret < 0 || n == NULL)
        return ret;
    sp_path path = sp_key(base, "network");
    if ((ret = sp_uint(n, path.s, "classID", false, UINT32_MAX, &r->net_class_id.value,
                       &r->net_class_id.set, err)) < 0)
        return ret;
    return parse_priorities(n, path.s, r, err);
}

static int parse_unified(const json_node *res, const char *base, struct spec_resources *r,
                         struct vse_err *err)
{
    int ret = sp_string_map(res, base, "unified", &r->unified, &r->n_unified, err);
    if (ret < 0)
        return ret;
    for (size_t i = 0; i < r->n_unified; i++) {
        const char *k = r->unified[i].key;
        /* a cgroup interface file name: "<controller>.<knob>", never a path */
        if (strchr(k, '/') || k[0] == '.' || strchr(k, '.') == NULL)
            return sp_fail(err, sp_key(sp_key(base, "unified").s, k).s,
                           "not a cgroup file name");
    }
    return 0;
}

int sp_parse_resources(const json_node *n, const char *base, struct spec_resources *r,
                       struct vse_err *err)
{
    int ret;
    if ((ret = parse_device_rules(n, base, r, err)) < 0 ||
        (ret = parse_memory(n, base, r, err)) < 0 ||
        (ret = parse_cpu(n, base, r, err)) < 0 ||
        (ret = parse_pids(n, base, r, err)) < 0 ||
        (ret = parse_block_io(n, base, r, err)) < 0 ||
        (ret = parse_hugepages(n, base, r, err)) < 0 ||
        (ret = parse_network(n, base, r, err)) < 0 ||
        (ret = parse_unified(n, base, r, err)) < 0)
        return ret;
    return 0;
}

void spec_resources_free(struct spec_resources *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; r->devices && i < r->n_devices; i++)
        free(r->devices[i].access);
    free(r->devices);
    free(r->memory);
    if (r->cpu) {
        free(r->cpu->cpus);
        free(r->cpu->mems);
        free(r->cpu);
    }
    if (r->block_io) {
        free(r->block_io->weight_device);
        free(r->block_io->throttle_read_bps);
        free(r->block_io->throttle_write_bps);
        free(r->block_io->throttle_read_iops);
        free(r->block_io->throttle_write_iops);
        free(r->block_io);
    }
    for (size_t i = 0; r->hugepage_limits && i < r->n_hugepage_limits; i++)
        free(r->hugepage_limits[i].page_size);
    free(r->hugepage_limits);
    for (size_t i = 0; r->net_priorities && i < r->n_net_priorities; i++)
        free(r->net_priorities[i].name);
    free(r->net_priorities);
    sp_kv_free(r->unified, r->n_unified);
    free(r);
}
