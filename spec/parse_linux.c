/* The linux section of config.json, except resources and seccomp (their own files). */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "spec/parse_internal.h"

static const char *const ns_names[SPEC_NS_COUNT] = {
    [SPEC_NS_PID] = "pid",     [SPEC_NS_NETWORK] = "network", [SPEC_NS_MOUNT] = "mount",
    [SPEC_NS_IPC] = "ipc",     [SPEC_NS_UTS] = "uts",         [SPEC_NS_USER] = "user",
    [SPEC_NS_CGROUP] = "cgroup", [SPEC_NS_TIME] = "time",
};

const char *spec_ns_type_name(enum spec_ns_type type)
{
    if ((unsigned) type >= SPEC_NS_COUNT)
        return "unknown";
    return ns_names[type];
}

/* ---- namespaces ---- */

static int parse_namespace(const json_node *n, const char *path, struct spec_namespace *ns,
                           struct vse_err *err)
{
    if (json_type_of(n) != JSON_OBJECT)
        return sp_fail(err, path, "must be an object");
    _cleanup_free_ char *type = NULL;
    int ret = sp_string(n, path, "type", true, &type, err);
    if (ret < 0)
        return ret;
    int idx = sp_lookup(type, ns_names, SPEC_NS_COUNT);
    if (idx < 0)
        return sp_fail(err, sp_key(path, "type").s, "unknown namespace \"%s\"", type);
    ns->type = (enum spec_ns_type) idx;
    return sp_abs_path(n, path, "path", false, &ns->path, err);
}

static int parse_namespaces(const json_node *lx, const char *base, struct spec_linux *l,
                            struct vse_err *err)
{
    const json_node *arr;
    int ret = sp_child(lx, base, "namespaces", JSON_ARRAY, false, &arr, err);
    if (ret < 0 || arr == NULL)
        return ret;
    sp_path path = sp_key(base, "namespaces");
    l->n_namespaces = json_array_len(arr);
    l->namespaces = vse_zalloc(l->n_namespaces * sizeof(*l->namespaces));
    for (size_t i = 0; i < l->n_namespaces; i++) {
        sp_path ip = sp_idx(path.s, i);
        ret = parse_namespace(json_array_get(arr, i), ip.s, &l->namespaces[i], err);
        if (ret < 0)
            return ret;
        for (size_t j = 0; j < i; j++)
            if (l->namespaces[j].type == l->namespaces[i].type)
                return sp_fail(err, sp_key(ip.s, "type").s,
                               "duplicate namespace \"%s\" (also in %s[%zu])",
                               ns_names[l->namespaces[i].type], path.s, j);
    }
    return 0;
}

static const struct spec_namespace *find_ns(const struct spec_linux *l, enum spec_ns_type t)
{
    for (size_t i = 0; i < l->n_namespaces; i++)
        if (l->namespaces[i].type == t)
            return &l->namespaces[i];
    return NULL;
}

/* ---- id mappings, time offsets ---- */

static int parse_id_mappings(const json_node *lx, const char *base, struct spec_linux *l,
                             struct vse_err *err)
{
    int ret;
    if ((ret = sp_id_mappings(lx, base, "uidMappings", &l->uid_mappings, &l->n_uid_mappings,
                              err)) < 0 ||
        (ret = sp_id_mappings(lx, base, "gidMappings", &l->gid_mappings, &l->n_gid_mappings,
                              err)) < 0)
        return ret;
    /* Mappings are written for a user namespace the runtime creates; anything else would
     * silently drop them. */
    const struct spec_namespace *user = find_ns(l, SPEC_NS_USER);
    const char *which = l->n_uid_mappings ? "uidMappings" : "gidMappings";
    if ((l->n_uid_mappings || l->n_gid_mappings) && (user == NULL || user->path != NULL))
        return sp_fail(err, sp_key(base, which).s,
                       "requires a new user namespace in %s.namespaces", base);
    return 0;
}

static int parse_time_offset(const json_node *offs, const char *base, const char *key,
                             struct spec_time_offset *t, struct vse_err *err)
{
    const json_node *n;
    int ret = sp_child(offs, base, key, JSON_OBJECT, false, &n, err);
    if (ret < 0 || n == NULL)
        return ret;
    sp_path path = sp_key(base, key);
    uint64_t ns = 0;
    if ((ret = sp_int(n, path.s, "secs", false, INT64_MIN, INT64_MAX, &t->secs, NULL, err)) <
            0 ||
        (ret = sp_uint(n, path.s, "nanosecs", false, 999999999, &ns, NULL, err)) < 0)
        return ret;
    t->nanosecs = (uint32_t) ns;
    t->set = true;
    return 0;
}

static int parse_time_offsets(const json_node *lx, const char *base, struct spec_linux *l,
                              struct vse_err *err)
{
    const json_node *n;
    int ret = sp_child(lx, base, "timeOffsets", JSON_OBJECT, false, &n, err);
    if (ret < 0 || n == NULL)
        return ret;
    sp_path path = sp_key(base, "timeOffsets");
    for (size_t i = 0; i < json_object_len(n); i++) {
        const char *k = json_object_key(n, i);
        if (strcmp(k, "monotonic") != 0 && strcmp(k, "boottime") != 0)
            return sp_fail(err, sp_key(path.s, k).s,
                           "unknown clock (expected \"monotonic\" or \"boottime\")");
    }
    if ((ret = parse_time_offset(n, path.s, "monotonic", &l->time_monotonic, err)) < 0 ||
        (ret = parse_time_offset(n, path.s, "boottime", &l->time_boottime, err)) < 0)
        return ret;
    const struct spec_namespace *time = find_ns(l, SPEC_NS_TIME);
    if ((l->time_monotonic.set || l->time_boottime.set) && (time == NULL || time->path))
        return sp_fail(err, path.s, "requires a new time namespace in %s.namespaces", base);
    return 0;
}

/* ---- devices ---- */

static int parse_device(const json_node *n, const char *path, struct spec_device *d,
                        struct vse_err *err)
{
    if (json_type_of(n) != JSON_OBJECT)
        return sp_fail(err, path, "must be an object");
    _cleanup_free_ char *type = NULL;
    int ret = sp_string(n, path, "type", true, &type, err);
    if (ret < 0)
        return ret;
    if (strlen(type) != 1 || strchr("cbup", type[0]) == NULL)
        return sp_fail(err, sp_key(path, "type").s,
                       "unknown device type \"%s\" (expected c, b, u or p)", type);
    d->type = type[0];
    bool need_numbers = d->type != 'p';
    if ((ret = sp_abs_path(n, path, "path", true, &d->path, err)) < 0 ||
        (ret = sp_int(n, path, "major", need_numbers, 0, INT64_MAX, &d->major, NULL, err)) <
            0 ||
        (ret = sp_int(n, path, "minor", need_numbers, 0, INT64_MAX, &d->minor, NULL, err)) <
            0 ||
        (ret = sp_uint(n, path, "fileMode", false, 07777, &d->file_mode.value,
                       &d->file_mode.set, err)) < 0 ||
        (ret = sp_uint(n, path, "uid", false, UINT32_MAX, &d->uid.value, &d->uid.set, err)) <
            0 ||
        (ret = sp_uint(n, path, "gid", false, UINT32_MAX, &d->gid.value, &d->gid.set, err)) <
            0)
        return ret;
    return 0;
}

static int parse_devices(const json_node *lx, const char *base, struct spec_linux *l,
                         struct vse_err *err)
{
    const json_node *arr;
    int ret = sp_child(lx, base, "devices", JSON_ARRAY, false, &arr, err);
    if (ret < 0 || arr == NULL)
        return ret;
    sp_path path = sp_key(base, "devices");
    l->n_devices = json_array_len(arr);
    l->devices = vse_zalloc(l->n_devices * sizeof(*l->devices));
    for (size_t i = 0; i < l->n_devices; i++) {
        ret = parse_device(json_array_get(arr, i), sp_idx(path.s, i).s, &l->devices[i], err);
        if (ret < 0)
            return ret;
    }
    return 0;
}

/* ---- small sections ---- */

static const char *const propagations[] = {"shared",  "rshared",  "slave",      "rslave",
                                           "private", "rprivate", "unbindable", "runbindable"};

static int parse_propagation(const json_node *lx, const char *base, struct spec_linux *l,
                             struct vse_err *err)
{
    int ret = sp_string(lx, base, "rootfsPropagation", false, &l->rootfs_propagation, err);
    if (ret < 0 || l->rootfs_propagation == NULL)
        return ret;
    if (sp_lookup(l->rootfs_propagation, propagations, VSE_ARRAY_SIZE(propagations)) < 0)
        return sp_fail(err, sp_key(base, "rootfsPropagation").s,
                       "unknown propagation \"%s\"", l->rootfs_propagation);
    return 0;
}

static const char *const personality_domains[] = {"LINUX", "LINUX32"};

static int parse_personality(const json_node *lx, const char *base, struct spec_linux *l,
                             struct vse_err *err)
{
    const json_node *n;
    int ret = sp_child(lx, base, "personality", JSON_OBJECT, false, &n, err);
    if (ret < 0 || n == NULL)
        return ret;
    sp_path path = sp_key(base, "personality");
    struct spec_personality *p = l->personality = vse_zalloc(sizeof(*p));
    if ((ret = sp_string(n, path.s, "domain", true, &p->domain, err)) < 0)
        return ret;
    if (sp_lookup(p->domain, personality_domains, VSE_ARRAY_SIZE(personality_domains)) < 0)
        return sp_fail(err, sp_key(path.s, "domain").s,
                       "unknown personality domain \"%s\" (expected LINUX or LINUX32)",
                       p->domain);
    return sp_strv(n, path.s, "flags", &p->flags, err);
}

/* What the kernel takes as a network interface name (dev_valid_name). */
static bool valid_ifname(const char *s)
{
    size_t len = strlen(s);
    if (len == 0 || len >= 16 || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
        return false;
    for (; *s; s++)
        if (*s == '/' || *s == ':' || isspace((unsigned char) *s))
            return false;
    return true;
}

static int parse_net_device(const json_node *n, const char *path, const char *host_name,
                            struct spec_net_device *d, struct vse_err *err)
{
    if (json_type_of(n) != JSON_OBJECT)
        return sp_fail(err, path, "must be an object");
    if (!valid_ifname(host_name))
        return sp_fail(err, path, "invalid network interface name \"%s\"", host_name);
    d->host_name = vse_strdup(host_name);
    int ret = sp_string(n, path, "name", false, &d->name, err);
    if (ret < 0)
        return ret;
    if (d->name && !valid_ifname(d->name))
        return sp_fail(err, sp_key(path, "name").s, "invalid network interface name \"%s\"",
                       d->name);
    return 0;
}

static int parse_net_devices(const json_node *lx, const char *base, struct spec_linux *l,
                             struct vse_err *err)
{
    const json_node *m;
    int ret = sp_child(lx, base, "netDevices", JSON_OBJECT, false, &m, err);
    if (ret < 0 || m == NULL)
        return ret;
    sp_path path = sp_key(base, "netDevices");
    l->n_net_devices = json_object_len(m);
    l->net_devices = vse_zalloc(l->n_net_devices * sizeof(*l->net_devices));
    for (size_t i = 0; i < l->n_net_devices; i++) {
        const char *key = json_object_key(m, i);
        ret = parse_net_device(json_object_value(m, i), sp_key(path.s, key).s, key,
                               &l->net_devices[i], err);
        if (ret < 0)
            return ret;
    }
    /* two host devices cannot take the same name inside the container */
    for (size_t i = 0; i < l->n_net_devices; i++)
        for (size_t j = 0; j < i; j++) {
            const struct spec_net_device *a = &l->net_devices[i], *b = &l->net_devices[j];
            if (strcmp(a->name ? a->name : a->host_name, b->name ? b->name : b->host_name) == 0)
                return sp_fail(err, sp_key(path.s, a->host_name).s,
                               "name \"%s\" is also used by %s",
                               a->name ? a->name : a->host_name, b->host_name);
        }
    return 0;
}

static int parse_resources_section(const json_node *lx, const char *base, struct spec_linux *l,
                                   struct vse_err *err)
{
    const json_node *n;
    int ret = sp_child(lx, base, "resources", JSON_OBJECT, false, &n, err);
    if (ret < 0 || n == NULL)
        return ret;
    l->resources = vse_zalloc(sizeof(*l->resources));
    return sp_parse_resources(n, sp_key(base, "resources").s, l->resources, err);
}

static int parse_seccomp_section(const json_node *lx, const char *base, struct spec_linux *l,
                                 struct vse_err *err)
{
    const json_node *n;
    int ret = sp_child(lx, base, "seccomp", JSON_OBJECT, false, &n, err);
    if (ret < 0 || n == NULL)
        return ret;
    l->seccomp = vse_zalloc(sizeof(*l->seccomp));
    return sp_parse_seccomp(n, sp_key(base, "seccomp").s, l->seccomp, err);
}

static int parse_sysctl(const json_node *lx, const char *base, struct spec_linux *l,
                        struct vse_err *err)
{
    int ret = sp_string_map(lx, base, "sysctl", &l->sysctl, &l->n_sysctl, err);
    if (ret < 0)
        return ret;
    for (size_t i = 0; i < l->n_sysctl; i++) {
        const char *k = l->sysctl[i].key;
        if (k[0] == '/' || k[0] == '.' || strstr(k, "..") != NULL)
            return sp_fail(err, sp_key(sp_key(base, "sysctl").s, k).s, "invalid sysctl name");
    }
    return 0;
}

int sp_parse_linux(const json_node *n, const char *base, struct spec_linux *l,
                   struct vse_err *err)
{
    int ret;
    if ((ret = parse_namespaces(n, base, l, err)) < 0 ||
        (ret = parse_id_mappings(n, base, l, err)) < 0 ||
        (ret = parse_time_offsets(n, base, l, err)) < 0 ||
        (ret = parse_devices(n, base, l, err)) < 0 ||
        (ret = sp_string(n, base, "cgroupsPath", false, &l->cgroups_path, err)) < 0 ||
        (ret = parse_resources_section(n, base, l, err)) < 0 ||
        (ret = parse_propagation(n, base, l, err)) < 0 ||
        (ret = parse_seccomp_section(n, base, l, err)) < 0 ||
        (ret = parse_sysctl(n, base, l, err)) < 0 ||
        (ret = sp_abs_path_strv(n, base, "maskedPaths", &l->masked_paths, err)) < 0 ||
        (ret = sp_abs_path_strv(n, base, "readonlyPaths", &l->readonly_paths, err)) < 0 ||
        (ret = sp_string(n, base, "mountLabel", false, &l->mount_label, err)) < 0 ||
        (ret = parse_personality(n, base, l, err)) < 0 ||
        (ret = parse_net_devices(n, base, l, err)) < 0)
        return ret;
    return 0;
}

void sp_linux_free(struct spec_linux *l)
{
    if (l == NULL)
        return;
    for (size_t i = 0; l->namespaces && i < l->n_namespaces; i++)
        free(l->namespaces[i].path);
    free(l->namespaces);
    free(l->uid_mappings);
    free(l->gid_mappings);
    for (size_t i = 0; l->devices && i < l->n_devices; i++)
        free(l->devices[i].path);
    free(l->devices);
    free(l->cgroups_path);
    spec_resources_free(l->resources);
    free(l->rootfs_propagation);
    sp_seccomp_free(l->seccomp);
    sp_kv_free(l->sysctl, l->n_sysctl);
    vse_strv_free(l->masked_paths);
    vse_strv_free(l->readonly_paths);
    free(l->mount_label);
    if (l->personality) {
        free(l->personality->domain);
        vse_strv_free(l->personality->flags);
        free(l->personality);
    }
    for (size_t i = 0; l->net_devices && i < l->n_net_devices; i++) {
        free(l->net_devices[i].host_name);
        free(l->net_devices[i].name);
    }
    free(l->net_devices);
    free(l);
}
