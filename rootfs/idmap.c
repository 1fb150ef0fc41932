/* A user namespace holding the uid/gid mappings of an idmapped mount. A helper child unshares
 * a user namespace and waits; we write its maps, keep an fd to its namespace, and let it go.
 * The fd is all mount_setattr(MOUNT_ATTR_IDMAP) needs. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "ns/ns.h"
#include "rootfs/internal.h"

struct helper {
    pid_t pid;
    int ready_rd; /* child -> us: its pid as the host's /proc names it */
    int done_wr;  /* us -> child: closed when it may exit */
};

static void helper_release(struct helper *h)
{
    vse_closep(&h->ready_rd);
    vse_closep(&h->done_wr);
    if (h->pid > 0) {
        kill(h->pid, SIGKILL);
        while (waitpid(h->pid, NULL, 0) < 0 && errno == EINTR)
            ;
    }
}

static _Noreturn void helper_child(int ready_wr, int done_rd)
{
    char buf[32] = "-";
    if (unshare(CLONE_NEWUSER) == 0) {
        /* Our pid in the pid namespace of the mounted /proc, which may not be ours. */
        ssize_t n = readlink("/proc/self", buf, sizeof(buf) - 1);
        buf[n > 0 ? n : 0] = '\0';
    }
    if (write(ready_wr, buf, strlen(buf)) < 0)
        _exit(1);
    char c;
    while (read(done_rd, &c, 1) < 0 && errno == EINTR)
        ;
    _exit(0);
}

static int start_helper(struct helper *h, struct vse_err *err)
{
    int ready[2], done[2];
    if (pipe2(ready, O_CLOEXEC) < 0)
        return vse_fail_errno(err, "idmap: pipe");
    if (pipe2(done, O_CLOEXEC) < 0) {
        close(ready[0]);
        close(ready[1]);
        return vse_fail_errno(err, "idmap: pipe");
    }
    h->ready_rd = ready[0];
    h->done_wr = done[1];
    h->pid = fork();
    if (h->pid == 0) {
        close(ready[0]);
        close(done[1]);
        helper_child(ready[1], done[0]);
    }
    int saved = errno;
    close(ready[1]);
    close(done[0]);
    if (h->pid < 0)
        return vse_fail_code(err, saved, "idmap: fork");
    return 0;
}

int idmap_userns_fd(const struct spec_mount *m, int *out, struct vse_err *err)
{
    if (m->n_uid_mappings == 0 || m->n_gid_mappings == 0)
        return vse_fail(err, EINVAL, "idmap: uidMappings and gidMappings are required");
    __attribute__((cleanup(helper_release))) struct helper h = {-1, -1, -1};
    int r = start_helper(&h, err);
    if (r < 0)
        return r;
    char pid[32];
    ssize_t n;
    while ((n = read(h.ready_rd, pid, sizeof(pid) - 1)) < 0 && errno == EINTR)
        ;
    if (n <= 0 || pid[0] == '-')
        return vse_fail(err, EPERM, "idmap: the helper could not create a user namespace");
    pid[n] = '\0';
    pid_t helper = (pid_t) strtol(pid, NULL, 10);
    if ((r = ns_write_id_map(helper, "uid_map", m->uid_mappings, m->n_uid_mappings,
                             "idmap: uid_map", err)) < 0 ||
        (r = ns_write_id_map(helper, "gid_map", m->gid_mappings, m->n_gid_mappings,
                             "idmap: gid_map", err)) < 0)
        return r;
    _cleanup_free_ char *ns = vse_asprintf("/proc/%d/ns/user", (int) helper);
    int fd = open(ns, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return vse_fail_errno(err, "idmap: open %s", ns);
    *out = fd;
    return 0;
}
