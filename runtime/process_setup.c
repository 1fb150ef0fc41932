/* The last steps of every process vse starts in a container, the init and an exec'd process
 * alike, once it stands in the container's namespaces and root: process attributes, the
 * terminal, identity, capabilities, seccomp, and the executable looked up for execve. */
#include "runtime/internal.h"

#include <fcntl.h>
#include <sys/prctl.h>

#include "common/cleanup.h"
#include "process/process.h"
#include "rootfs/rootfs.h"
#include "security/security.h"

int container_pty_open(const char *root, const struct spec_process *p, struct process_pty *pty,
                       struct vse_err *err)
{
    _cleanup_close_ int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0)
        return vse_fail_errno(err, "open the container's root %s", root);
    _cleanup_close_ int ptmx = rootfs_open_ptmx(rootfd, err);
    if (ptmx < 0)
        return ptmx;
    return process_open_pty(&ptmx, p, pty, err);
}

int container_pty_send_master(int sync_fd, struct process_pty *pty, struct vse_err *err)
{
    int ret = sync_send(sync_fd, SYNC_PTY, 0, pty->name, pty->master);
    if (ret < 0)
        return vse_fail_code(err, ret, "send pty master");
    vse_closep(&pty->master);
    pty->master = -1;
    return 0;
}

/* process_apply_oom_score_adj() for a non-dumpable process: in a user namespace its /proc/self
 * files belong to the host's root, so it is dumpable for that one write. It still holds every
 * capability then, so the ptrace access checks keep the container's processes out. */
static int apply_oom_score_adj(const struct spec_process *p, bool in_userns,
                               struct vse_err *err)
{
    if (!p->oom_score_adj.set || !in_userns)
        return process_apply_oom_score_adj(p, err);
    prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
    int ret = process_apply_oom_score_adj(p, err);
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    return ret;
}

static int apply_attributes(const struct process_setup *s, struct vse_err *err)
{
    const struct spec_process *p = s->p;
    int ret;
    if ((ret = process_apply_rlimits(p, err)) < 0 ||
        (ret = apply_oom_score_adj(p, s->in_userns, err)) < 0 ||
        (ret = process_apply_personality(s->personality, err)) < 0 ||
        (ret = process_apply_scheduler(p, err)) < 0 ||
        (ret = process_apply_io_priority(p, err)) < 0)
        return ret;
    if (p->exec_cpu_affinity_final &&
        (ret = process_apply_cpu_affinity(p->exec_cpu_affinity_final, err)) < 0)
        return ret;
    if (s->tty != NULL)
        return process_attach_terminal(s->tty, err);
    return 0;
}

static int apply_identity(const struct process_setup *s, struct vse_err *err)
{
    const struct spec_process *p = s->p;
    int ret;
    if ((ret = security_apply_bounding(p->capabilities, err)) < 0 ||
        (ret = process_set_user(p, err)) < 0 ||
        (ret = security_apply_capabilities(p->capabilities, err)) < 0 ||
        (ret = process_chdir(p, err)) < 0)
        return ret;
    if (p->no_new_privileges && (ret = security_set_no_new_privs(err)) < 0)
        return ret;
    return security_apply_lsm(p, s->log, err);
}

int process_setup_apply(const struct process_setup *s, char **exec_path, struct vse_err *err)
{
    int ret = apply_attributes(s, err);
    if (ret < 0)
        return ret;
    /* Without no_new_privs, loading a filter needs CAP_SYS_ADMIN: load it before the
     * capabilities go (runc's order); otherwise as late as possible. */
    bool early = s->filter && !s->p->no_new_privileges;
    if (early && (ret = security_seccomp_load(s->filter, s->state_json, err)) < 0)
        return ret;
    if ((ret = apply_identity(s, err)) < 0)
        return ret;
    /* Like runc, a missing executable fails here, while the parent still listens. */
    if ((ret = process_find_executable(s->p, exec_path, err)) < 0)
        return ret;
    if (s->filter && !early && (ret = security_seccomp_load(s->filter, s->state_json, err)) < 0)
        return ret;
    return 0;
}
