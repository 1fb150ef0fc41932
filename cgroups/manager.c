/* manager.c: the public cgroup API; picks a driver and dispatches to it. */
#include "cgroups/internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"

#define SYSTEMD_UNAVAILABLE "--systemd-cgroup: the systemd cgroup driver is not available yet"

/* ---- the systemd slot: refuses clearly, never falls back to cgroupfs silently ---- */

static int systemd_refuse_create(struct cgroup_manager *m, const struct spec_resources *res,
                                 struct vse_err *err)
{
    (void) m;
    (void) res;
    return vse_fail(err, ENOTSUP, SYSTEMD_UNAVAILABLE);
}

static int systemd_refuse_load(struct cgroup_manager *m, const json_node *n,
                               struct vse_err *err)
{
    (void) m;
    (void) n;
    return vse_fail(err, ENOTSUP, SYSTEMD_UNAVAILABLE);
}

const struct cgroup_driver cg_driver_systemd = {
    .name = "systemd",
    .create = systemd_refuse_create,
    .load = systemd_refuse_load,
};

/* ---- manager ---- */

static struct cgroup_manager *manager_new(const struct cgroup_opts *opts,
                                          const struct cgroup_driver *drv)
{
    struct cgroup_manager *m = vse_zalloc(sizeof(*m));
    m->drv = drv;
    m->log = opts->log;
    m->id = vse_strdup(opts->id);
    m->mount_root = vse_strdup(opts->mount_root ? opts->mount_root : CG_DEFAULT_ROOT);
    m->rel = vse_strdup(opts->cgroups_path);
    m->clone_fd = -1;
    m->oom_fd = -1;
    m->oom_watch_fd = -1;
    return m;
}

static void add_device_rules(struct cgroup_manager *m, const struct cgroup_opts *opts)
{
    if (opts->n_devices == 0 || opts->devices == NULL)
        return;
    m->dev_extra = vse_zalloc(opts->n_devices * sizeof(*m->dev_extra));
    for (size_t i = 0; i < opts->n_devices; i++) {
        const struct spec_device *d = &opts->devices[i];
        if (d->type != 'c' && d->type != 'b' && d->type != 'u')
            continue; /* fifos need no device rule */
        m->dev_extra[m->n_dev_extra++] = (struct cg_dev_rule){
            .allow = true, .type = d->type == 'b' ? 'b' : 'c', .major = d->major,
            .minor = d->minor, .access = CG_DEV_MKNOD | CG_DEV_READ | CG_DEV_WRITE};
    }
}

int cgroup_manager_create(const struct cgroup_opts *opts, const struct spec_resources *res,
                          struct cgroup_manager **out, struct vse_err *err)
{
    const struct cgroup_driver *drv = opts->systemd ? &cg_driver_systemd : &cg_driver_cgroupfs;
    _cleanup_cgroup_manager_ struct cgroup_manager *m = manager_new(opts, drv);
    add_device_rules(m, opts);
    int ret = drv->create(m, res, err);
    if (ret < 0)
        return ret;
    *out = steal_ptr(m);
    return 0;
}

int cgroup_manager_from_json(const json_node *n, const struct cgroup_opts *opts,
                             struct cgroup_manager **out, struct vse_err *err)
{
    if (json_type_of(n) != JSON_OBJECT)
        return vse_fail(err, EINVAL, "cgroup: state entry is not an object");
    const char *driver = json_string(json_get(n, "driver"));
    const struct cgroup_driver *drv = driver && strcmp(driver, "systemd") == 0
                                          ? &cg_driver_systemd
                                          : &cg_driver_cgroupfs;
    if (driver && drv == &cg_driver_cgroupfs && strcmp(driver, "cgroupfs") != 0)
        return vse_fail(err, EINVAL, "cgroup: unknown driver \"%s\" in state", driver);
    _cleanup_cgroup_manager_ struct cgroup_manager *m = manager_new(opts, drv);
    int ret = drv->load(m, n, err);
    if (ret < 0)
        return ret;
    *out = steal_ptr(m);
    return 0;
}

void cgroup_manager_to_json(const struct cgroup_manager *m, json_writer *w)
{
    if (m->drv->to_json)
        m->drv->to_json(m, w);
    else
        json_w_null(w);
}

#define DISPATCH(m, op, err, ...)                                                               \
    ((m)->drv->op ? (m)->drv->op((m), __VA_ARGS__)                                              \
                  : vse_fail((err), ENOTSUP, "cgroups: %s: not supported by the %s driver",    \
                             #op, (m)->drv->name))

int cgroup_manager_attach(struct cgroup_manager *m, pid_t pid, struct vse_err *err)
{
    return DISPATCH(m, attach, err, pid, err);
}

int cgroup_manager_clone_fd(struct cgroup_manager *m)
{
    return m->drv->clone_fd ? m->drv->clone_fd(m) : -1;
}

int cgroup_manager_freeze(struct cgroup_manager *m, bool frozen, struct vse_err *err)
{
    return DISPATCH(m, freeze, err, frozen, err);
}

int cgroup_manager_is_frozen(struct cgroup_manager *m, bool *frozen, struct vse_err *err)
{
    return DISPATCH(m, is_frozen, err, frozen, err);
}

int cgroup_manager_kill_all(struct cgroup_manager *m, int sig, struct vse_err *err)
{
    return DISPATCH(m, kill_all, err, sig, err);
}

int cgroup_manager_pids(struct cgroup_manager *m, pid_t **pids, size_t *n, struct vse_err *err)
{
    return DISPATCH(m, pids, err, pids, n, err);
}

int cgroup_manager_update(struct cgroup_manager *m, const struct spec_resources *res,
                          struct vse_err *err)
{
    return DISPATCH(m, update, err, res, err);
}

int cgroup_manager_stats(struct cgroup_manager *m, struct cgroup_stats *st, struct vse_err *err)
{
    memset(st, 0, sizeof(*st));
    return DISPATCH(m, stats, err, st, err);
}

int cgroup_manager_memory_stat(struct cgroup_manager *m, struct spec_kv **kv, size_t *n,
                               struct vse_err *err)
{
    *kv = NULL;
    *n = 0;
    return DISPATCH(m, memory_raw, err, kv, n, err);
}

void cgroup_kv_free(struct spec_kv *kv, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(kv[i].key);
        free(kv[i].value);
    }
    free(kv);
}

int cgroup_manager_oom_fd(struct cgroup_manager *m, struct vse_err *err)
{
    return DISPATCH(m, oom_fd, err, err);
}

int cgroup_manager_oom_count(struct cgroup_manager *m, uint64_t *count, struct vse_err *err)
{
    return DISPATCH(m, oom_count, err, count, err);
}

int cgroup_manager_destroy(struct cgroup_manager *m, bool force, struct vse_err *err)
{
    return DISPATCH(m, destroy, err, force, err);
}

const char *cgroup_manager_path(const struct cgroup_manager *m, const char *controller)
{
    if (strcmp(controller, "unified") == 0) {
        for (size_t i = 0; i < m->n; i++)
            if (m->h[i].v2)
                return m->h[i].path;
        return NULL;
    }
    int c = cg_controller_from_name(controller);
    if (c < 0)
        return NULL;
    return cg_find((struct cgroup_manager *) m, (enum cg_controller) c)
               ? cg_find((struct cgroup_manager *) m, (enum cg_controller) c)->path
               : NULL;
}

enum cgroup_mode cgroup_manager_mode(const struct cgroup_manager *m)
{
    return m->mode;
}

void cgroup_manager_free(struct cgroup_manager *m)
{
    if (m == NULL)
        return;
    for (size_t i = 0; i < m->n; i++) {
        free(m->h[i].name);
        free(m->h[i].path);
    }
    free(m->h);
    free(m->dev_extra);
    if (m->clone_fd >= 0)
        close(m->clone_fd);
    if (m->oom_fd >= 0)
        close(m->oom_fd);
    if (m->oom_watch_fd >= 0)
        close(m->oom_watch_fd);
    free(m->id);
    free(m->mount_root);
    free(m->rel);
    free(m);
}
