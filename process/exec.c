/* The last steps of the container process: user and groups, working directory, closing
 * inherited fds, and execve. See process/process.h. */
#include "process/process.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"

#define VSE_DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* ---- user ---- */

/* In a user namespace whose setgroups is "deny", setgroups always fails; with no additional
 * gids asked for there is nothing to do then. */
static bool setgroups_denied(void)
{
    char buf[16] = "";
    _cleanup_close_ int fd = open("/proc/self/setgroups", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    return n > 0 && strncmp(buf, "deny", 4) == 0;
}

static int set_groups(const struct spec_user *u, struct vse_err *err)
{
    size_t n = u->n_additional_gids;
    gid_t *gids = n ? (gid_t *) u->additional_gids : NULL;
    if (setgroups(n, gids) == 0)
        return 0;
    if (errno == EPERM && n == 0 && setgroups_denied())
        return 0;
    if (n == 0)
        return vse_fail_errno(err, "process.user: setgroups(0) to clear supplementary groups");
    return vse_fail_errno(err, "process.user.additionalGids (%zu gids): setgroups", n);
}

static const char *unmapped_hint(int e)
{
    return e == EINVAL ? " (is the id mapped in the container's user namespace?)" : "";
}

int process_set_user(const struct spec_process *p, struct vse_err *err)
{
    if (p == NULL)
        return 0;
    const struct spec_user *u = &p->user;
    /* Permitted capabilities survive setresuid only with KEEPCAPS; the final sets are applied
     * afterwards by security_apply_capabilities(). execve clears the flag again. */
    if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
        return vse_fail_errno(err, "process.user: prctl(PR_SET_KEEPCAPS)");
    int ret = set_groups(u, err);
    if (ret < 0)
        return ret;
    if (setresgid(u->gid, u->gid, u->gid) < 0) {
        int e = errno;
        return vse_fail(err, e, "process.user.gid %u: setresgid: %s%s", u->gid, strerror(e),
                        unmapped_hint(e));
    }
    if (setresuid(u->uid, u->uid, u->uid) < 0) {
        int e = errno;
        return vse_fail(err, e, "process.user.uid %u: setresuid: %s%s", u->uid, strerror(e),
                        unmapped_hint(e));
    }
    umask(u->umask.set ? (mode_t) (u->umask.value & 07777) : 022);
    return 0;
}

/* ---- cwd ---- */

/* A cwd reached through a leaked host fd (CVE-2024-21626) is outside the container's root:
 * getcwd() then fails with ENOENT or returns a path starting with "(unreachable)". */
static int check_cwd_inside_root(const char *cwd, struct vse_err *err)
{
    char buf[PATH_MAX];
    if (getcwd(buf, sizeof(buf)) == NULL) {
        if (errno == ENOENT)
            return vse_fail(err, EPERM,
                            "process.cwd \"%s\": the working directory is outside the "
                            "container's root (getcwd: ENOENT); refusing (CVE-2024-21626)",
                            cwd);
        if (errno == ERANGE)
            return 0; /* too long to check but reachable: getcwd found the root */
        return vse_fail_errno(err, "process.cwd \"%s\": getcwd", cwd);
    }
    if (buf[0] != '/')
        return vse_fail(err, EPERM,
                        "process.cwd \"%s\": the working directory \"%s\" is outside the "
                        "container's root; refusing (CVE-2024-21626)",
                        cwd, buf);
    return 0;
}

static bool is_proc_fd_path(const char *cwd)
{
    static const char *const prefixes[] = {"/proc/self/fd", "/proc/thread-self/fd"};
    for (size_t i = 0; i < VSE_ARRAY_SIZE(prefixes); i++) {
        size_t n = strlen(prefixes[i]);
        if (strncmp(cwd, prefixes[i], n) == 0 && (cwd[n] == '\0' || cwd[n] == '/'))
            return true;
    }
    /* /proc/<pid>/fd/... */
    if (strncmp(cwd, "/proc/", 6) == 0) {
        const char *s = cwd + 6;
        size_t digits = strspn(s, "0123456789");
        if (digits > 0 && strncmp(s + digits, "/fd", 3) == 0 &&
            (s[digits + 3] == '\0' || s[digits + 3] == '/'))
            return true;
    }
    return false;
}

int process_chdir(const struct spec_process *p, struct vse_err *err)
{
    const char *cwd = (p && p->cwd && *p->cwd) ? p->cwd : "/";
    if (cwd[0] != '/')
        return vse_fail(err, EINVAL, "process.cwd \"%s\": must be an absolute path", cwd);
    if (is_proc_fd_path(cwd))
        return vse_fail(err, EPERM,
                        "process.cwd \"%s\": a working directory under /proc/*/fd is refused "
                        "(CVE-2024-21626)",
                        cwd);
    if (chdir(cwd) < 0)
        return vse_fail_errno(err, "process.cwd: chdir \"%s\"", cwd);
    return check_cwd_inside_root(cwd, err);
}

/* ---- exec ---- */

static const char *env_path(char *const *env)
{
    for (size_t i = 0; env && env[i]; i++)
        if (strncmp(env[i], "PATH=", 5) == 0)
            return env[i] + 5;
    return NULL;
}

static int exec_failed(const char *what, int e, struct vse_err *err)
{
    return vse_fail(err, e, "exec \"%s\": %s", what, strerror(e));
}

/* 0 when path is an executable regular file; else a positive errno. */
static int check_executable(const char *path)
{
    struct stat st;
    if (stat(path, &st) < 0)
        return errno;
    if (S_ISDIR(st.st_mode))
        return EACCES;
    if (!S_ISREG(st.st_mode) || access(path, X_OK) < 0)
        return EACCES;
    return 0;
}

static int find_in_path(const char *name, const char *path, char **out, struct vse_err *err)
{
    _cleanup_free_ char *denied = NULL;
    for (const char *dir = path;; ) {
        const char *end = strchrnul(dir, ':');
        size_t dlen = (size_t) (end - dir);
        _cleanup_free_ char *cand = dlen ? vse_asprintf("%.*s/%s", (int) dlen, dir, name)
                                         : vse_strdup(name);
        int e = check_executable(cand);
        if (e == 0) {
            if (out)
                *out = steal_ptr(cand);
            return 0;
        }
        if (e == EACCES && denied == NULL)
            denied = steal_ptr(cand);
        if (*end == '\0')
            break;
        dir = end + 1;
    }
    if (denied)
        return exec_failed(denied, EACCES, err);
    return vse_fail(err, ENOENT, "exec \"%s\": executable file not found in $PATH", name);
}

int process_find_executable(const struct spec_process *p, char **path, struct vse_err *err)
{
    if (path)
        *path = NULL;
    if (p == NULL || p->args == NULL || p->args[0] == NULL || p->args[0][0] == '\0')
        return vse_fail(err, EINVAL, "process.args: no executable given");
    const char *name = p->args[0];
    if (strchr(name, '/') == NULL) {
        const char *search = env_path(p->env);
        return find_in_path(name, search ? search : VSE_DEFAULT_PATH, path, err);
    }
    int e = check_executable(name);
    if (e != 0)
        return exec_failed(name, e, err);
    if (path)
        *path = vse_strdup(name);
    return 0;
}

int process_exec_path(const char *path, const struct spec_process *p, struct vse_err *err)
{
    char *empty_env[] = {NULL};
    execve(path, p->args, p->env ? p->env : empty_env);
    return exec_failed(p->args[0], errno, err);
}

int process_exec(const struct spec_process *p, struct vse_err *err)
{
    _cleanup_free_ char *path = NULL;
    int ret = process_find_executable(p, &path, err);
    return ret < 0 ? ret : process_exec_path(path, p, err);
}

/* ---- fds ---- */

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *) a, y = *(const int *) b;
    return (x > y) - (x < y);
}

/* Closes the fds of /proc/self/fd in [lo, hi]; with only_inherited, just those without
 * FD_CLOEXEC. -errno when /proc is not there. */
static int close_listed_fds(unsigned int lo, unsigned int hi, bool only_inherited)
{
    _cleanup_closedir_ DIR *d = opendir("/proc/self/fd");
    if (d == NULL)
        return -errno;
    int self = dirfd(d);
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] < '0' || de->d_name[0] > '9')
            continue;
        long fd = strtol(de->d_name, NULL, 10);
        if (fd == self || fd < (long) lo || fd > (long) hi || fd > INT_MAX)
            continue;
        int flags = only_inherited ? fcntl((int) fd, F_GETFD) : 0;
        if (flags >= 0 && !(flags & FD_CLOEXEC))
            close((int) fd);
    }
    return 0;
}

static int close_range_fallback(unsigned int lo, unsigned int hi)
{
    if (close_listed_fds(lo, hi, false) == 0)
        return 0;
    /* No /proc: close by number up to the fd limit. */
    long max = sysconf(_SC_OPEN_MAX);
    for (long fd = lo; fd <= (long) hi && fd < max; fd++)
        close((int) fd);
    return 0;
}

static int close_between(unsigned int lo, unsigned int hi)
{
    if (lo > hi)
        return 0;
    if (syscall(SYS_close_range, lo, hi, 0) == 0)
        return 0;
    if (errno != ENOSYS && errno != EPERM)
        return -errno;
    return close_range_fallback(lo, hi);
}

int process_close_fds_from(int first_fd, const int *keep, size_t n_keep)
{
    if (first_fd < 0)
        return -EINVAL;
    _cleanup_free_ int *sorted = vse_reallocarray(NULL, n_keep ? n_keep : 1, sizeof(int));
    if (n_keep)
        memcpy(sorted, keep, n_keep * sizeof(int));
    qsort(sorted, n_keep, sizeof(int), cmp_int);
    unsigned int next = (unsigned int) first_fd;
    for (size_t i = 0; i < n_keep; i++) {
        if (sorted[i] < (int) next)
            continue;
        if (sorted[i] > (int) next) {
            int ret = close_between(next, (unsigned int) sorted[i] - 1);
            if (ret < 0)
                return ret;
        }
        next = (unsigned int) sorted[i] + 1;
    }
    return close_between(next, ~0U);
}

int process_close_inherited_fds(int first_fd)
{
    if (first_fd < 0)
        return -EINVAL;
    return close_listed_fds((unsigned int) first_fd, INT_MAX, true);
}
