/* fs_ops.c: freezing, signalling and listing the processes of a container's cgroup. */
#include "cgroups/internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"

#define FREEZE_POLL_MS 1
#define FREEZE_TIMEOUT_MS 5000

static void sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

static int read_trimmed(const struct cg_hier *h, const char *file, char **out,
                        struct vse_err *err)
{
    int ret = cg_read(h, file, out, err);
    if (ret == 0)
        (*out)[strcspn(*out, "\n")] = '\0';
    return ret;
}

/* v1: FREEZING can linger while tasks are being frozen; writing FROZEN again nudges tasks
 * that were forking at the time (runc does the same). */
static int freeze_v1(struct cg_hier *h, bool frozen, struct vse_err *err)
{
    const char *want = frozen ? "FROZEN" : "THAWED";
    for (int waited = 0; waited < FREEZE_TIMEOUT_MS; waited += FREEZE_POLL_MS) {
        if (waited % 50 == 0) {
            int ret = cg_write(h, "cgroups: freeze", "freezer.state", want, err);
            if (ret < 0)
                return ret;
        }
        _cleanup_free_ char *state = NULL;
        int ret = read_trimmed(h, "freezer.state", &state, err);
        if (ret < 0)
            return ret;
        if (strcmp(state, want) == 0)
            return 0;
        sleep_ms(FREEZE_POLL_MS);
    }
    if (frozen) {
        struct vse_err ignored = {0};
        cg_write(h, "cgroups: thaw", "freezer.state", "THAWED", &ignored);
    }
    return vse_fail(err, ETIMEDOUT, "cgroups: %s/freezer.state did not become %s", h->path,
                    want);
}

static int v2_frozen(const struct cg_hier *h, bool *frozen, struct vse_err *err)
{
    uint64_t v = 0;
    int ret = cg_read_keyed(h, "cgroup.events", "frozen", &v, err);
    if (ret < 0)
        return ret;
    *frozen = v != 0;
    return 0;
}

/* v2: cgroup.events changes raise POLLPRI, so waiting costs no busy loop. */
static int freeze_v2(struct cg_hier *h, bool frozen, struct vse_err *err)
{
    int ret = cg_write(h, "cgroups: freeze", "cgroup.freeze", frozen ? "1" : "0", err);
    if (ret < 0)
        return ret;
    _cleanup_free_ char *events = vse_asprintf("%s/cgroup.events", h->path);
    _cleanup_close_ int fd = open(events, O_RDONLY | O_CLOEXEC);
    for (int waited = 0; waited < FREEZE_TIMEOUT_MS; waited += 10) {
        bool now = !frozen;
        ret = v2_frozen(h, &now, err);
        if (ret < 0)
            return ret;
        if (now == frozen)
            return 0;
        struct pollfd pfd = {.fd = fd, .events = POLLPRI};
        if (fd < 0 || poll(&pfd, 1, 10) < 0)
            sleep_ms(10);
    }
    return vse_fail(err, ETIMEDOUT, "cgroups: %s/cgroup.events did not report frozen %d",
                    h->path, frozen ? 1 : 0);
}

int cg_fs_freeze(struct cgroup_manager *m, bool frozen, struct vse_err *err)
{
    struct cg_hier *h = cg_find(m, CG_FREEZER);
    if (h && !h->v2)
        return freeze_v1(h, frozen, err);
    h = cg_find_v2(m);
    if (h && m->mode == CGROUP_MODE_V2)
        return freeze_v2(h, frozen, err);
    return vse_fail(err, ENOTSUP, "cgroups: no freezer: the container has no freezer cgroup "
                    "(is the freezer controller mounted under %s?)", m->mount_root);
}

int cg_fs_is_frozen(struct cgroup_manager *m, bool *frozen, struct vse_err *err)
{
    struct cg_hier *h = cg_find(m, CG_FREEZER);
    if (h && !h->v2) {
        _cleanup_free_ char *state = NULL;
        int ret = read_trimmed(h, "freezer.state", &state, err);
        if (ret < 0)
            return ret;
        *frozen = strcmp(state, "FROZEN") == 0;
        return 0;
    }
    h = cg_find_v2(m);
    if (h && m->mode == CGROUP_MODE_V2)
        return v2_frozen(h, frozen, err);
    *frozen = false;
    return 0;
}

/* ---- pids ---- */

static void push_pid(pid_t **pids, size_t *n, pid_t pid)
{
    *pids = vse_reallocarray(*pids, *n + 1, sizeof(**pids));
    (*pids)[(*n)++] = pid;
}

static int read_procs(const char *dir, pid_t **pids, size_t *n, struct vse_err *err)
{
    _cleanup_free_ char *path = vse_asprintf("%s/cgroup.procs", dir);
    _cleanup_free_ char *text = NULL;
    int ret = vse_read_file_at(AT_FDCWD, path, &text, NULL, err);
    if (ret < 0)
        return ret;
    char *save = NULL;
    for (char *tok = strtok_r(text, "\n", &save); tok; tok = strtok_r(NULL, "\n", &save)) {
        int64_t v = 0;
        if (vse_parse_int64(tok, &v) == 0 && v > 0)
            push_pid(pids, n, (pid_t) v);
    }
    return 0;
}

/* The container's own cgroup and every cgroup made inside it (a systemd in the container). */
static int collect_pids(const char *dir, pid_t **pids, size_t *n, struct vse_err *err)
{
    int ret = read_procs(dir, pids, n, err);
    if (ret < 0)
        return ret;
    _cleanup_closedir_ DIR *d = opendir(dir);
    if (d == NULL)
        return vse_fail_errno(err, "cgroups: open %s", dir);
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_type != DT_DIR || de->d_name[0] == '.')
            continue;
        _cleanup_free_ char *child = vse_asprintf("%s/%s", dir, de->d_name);
        ret = collect_pids(child, pids, n, err);
        if (ret < 0 && ret != -ENOENT)
            return ret;
    }
    return 0;
}

/* Which hierarchy lists the processes: the freezer (always joined on v1), else any. */
static struct cg_hier *procs_hier(struct cgroup_manager *m)
{
    struct cg_hier *h = cg_find(m, CG_FREEZER);
    if (h)
        return h;
    h = cg_find(m, CG_PIDS);
    if (h)
        return h;
    return m->n ? &m->h[0] : NULL;
}

int cg_fs_pids(struct cgroup_manager *m, pid_t **pids, size_t *n, struct vse_err *err)
{
    *pids = NULL;
    *n = 0;
    struct cg_hier *h = procs_hier(m);
    if (h == NULL)
        return 0;
    int ret = collect_pids(h->path, pids, n, err);
    if (ret < 0) {
        free(*pids);
        *pids = NULL;
        *n = 0;
    }
    return ret;
}

/* ---- kill ---- */

static int signal_all(struct cgroup_manager *m, int sig, struct vse_err *err)
{
    _cleanup_free_ pid_t *pids = NULL;
    size_t n = 0;
    int ret = cg_fs_pids(m, &pids, &n, err);
    if (ret < 0)
        return ret;
    for (size_t i = 0; i < n; i++)
        if (kill(pids[i], sig) < 0 && errno != ESRCH)
            return vse_fail_errno(err, "cgroups: kill %d", (int) pids[i]);
    return 0;
}

int cg_fs_kill_all(struct cgroup_manager *m, int sig, struct vse_err *err)
{
    struct cg_hier *v2 = cg_find_v2(m);
    if (m->mode == CGROUP_MODE_V2 && v2 && sig == SIGKILL && cg_file_exists(v2, "cgroup.kill"))
        return cg_write(v2, "cgroups: kill", "cgroup.kill", "1", err);
    /* Frozen, nothing can fork between reading the list and signalling it; SIGKILL and the
     * other signals are delivered once the cgroup thaws. */
    bool frozen_before = false;
    struct vse_err ignored = {0};
    cg_fs_is_frozen(m, &frozen_before, &ignored);
    bool froze = !frozen_before && cg_fs_freeze(m, true, &ignored) == 0;
    int ret = signal_all(m, sig, err);
    if (froze)
        cg_fs_freeze(m, false, &ignored);
    return ret;
}
