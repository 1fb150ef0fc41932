/* Namespaces: flags, joining by path, id maps, time offsets, hostname and sysctl. */
#include "ns/ns.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

int ns_clone_flag(enum spec_ns_type type)
{
    switch (type) {
    case SPEC_NS_PID:
        return CLONE_NEWPID;
    case SPEC_NS_NETWORK:
        return CLONE_NEWNET;
    case SPEC_NS_MOUNT:
        return CLONE_NEWNS;
    case SPEC_NS_IPC:
        return CLONE_NEWIPC;
    case SPEC_NS_UTS:
        return CLONE_NEWUTS;
    case SPEC_NS_USER:
        return CLONE_NEWUSER;
    case SPEC_NS_CGROUP:
        return CLONE_NEWCGROUP;
    case SPEC_NS_TIME:
        return CLONE_NEWTIME;
    case SPEC_NS_COUNT:
        break;
    }
    return 0;
}

int ns_new_flags(const struct spec *s)
{
    if (s->linux_ == NULL)
        return 0;
    int flags = 0;
    for (size_t i = 0; i < s->linux_->n_namespaces; i++)
        if (s->linux_->namespaces[i].path == NULL)
            flags |= ns_clone_flag(s->linux_->namespaces[i].type);
    return flags;
}

void ns_close_fds(int fds[SPEC_NS_COUNT])
{
    for (int t = 0; t < SPEC_NS_COUNT; t++) {
        if (fds[t] >= 0)
            close(fds[t]);
        fds[t] = -1;
    }
}

int ns_open_paths(const struct spec *s, int fds[SPEC_NS_COUNT], struct vse_err *err)
{
    for (int t = 0; t < SPEC_NS_COUNT; t++)
        fds[t] = -1;
    if (s->linux_ == NULL)
        return 0;
    for (size_t i = 0; i < s->linux_->n_namespaces; i++) {
        const struct spec_namespace *n = &s->linux_->namespaces[i];
        if (n->path == NULL)
            continue;
        int fd = open(n->path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            int ret = vse_fail_errno(err, "linux.namespaces[%zu].path: open %s", i, n->path);
            ns_close_fds(fds);
            return ret;
        }
        if (fds[n->type] >= 0)
            close(fds[n->type]);
        fds[n->type] = fd;
    }
    return 0;
}

static int join_one(int fd, enum spec_ns_type type, struct vse_err *err)
{
    if (setns(fd, ns_clone_flag(type)) < 0)
        return vse_fail_errno(err, "join %s namespace", spec_ns_type_name(type));
    return 0;
}

int ns_join_fds(const int fds[SPEC_NS_COUNT], int skip_flags, struct vse_err *err)
{
    /* The user namespace first: the others are then joined with its capabilities. */
    if (fds[SPEC_NS_USER] >= 0 && !(skip_flags & CLONE_NEWUSER)) {
        int ret = join_one(fds[SPEC_NS_USER], SPEC_NS_USER, err);
        if (ret < 0)
            return ret;
    }
    for (int t = 0; t < SPEC_NS_COUNT; t++) {
        if (t == SPEC_NS_USER || fds[t] < 0 || (skip_flags & ns_clone_flag(t)))
            continue;
        int ret = join_one(fds[t], t, err);
        if (ret < 0)
            return ret;
    }
    return 0;
}

static char *format_map(const struct spec_id_mapping *m, size_t n)
{
    char *text = vse_strdup("");
    for (size_t i = 0; i < n; i++) {
        char *next = vse_asprintf("%s%u %u %u\n", text, m[i].container_id, m[i].host_id,
                                  m[i].size);
        free(text);
        text = next;
    }
    return text;
}

static int write_proc_file(pid_t pid, const char *name, const char *text, const char *field,
                           struct vse_err *err)
{
    _cleanup_free_ char *path = vse_asprintf("/proc/%d/%s", (int) pid, name);
    int ret = vse_write_file_at(AT_FDCWD, path, text, strlen(text), err);
    return ret < 0 ? vse_err_prefix(err, "%s", field) : 0;
}

int ns_write_id_map(pid_t pid, const char *file, const struct spec_id_mapping *m, size_t n,
                    const char *field, struct vse_err *err)
{
    _cleanup_free_ char *text = format_map(m, n);
    return write_proc_file(pid, file, text, field, err);
}

int ns_write_id_mappings(pid_t pid, const struct spec_linux *l, struct vse_err *err)
{
    if (l == NULL || l->n_uid_mappings == 0)
        return vse_fail(err, EINVAL, "linux.uidMappings: required with a new user namespace");
    if (l->n_gid_mappings == 0)
        return vse_fail(err, EINVAL, "linux.gidMappings: required with a new user namespace");
    int ret = ns_write_id_map(pid, "uid_map", l->uid_mappings, l->n_uid_mappings,
                              "linux.uidMappings", err);
    if (ret < 0)
        return ret;
    /* Without CAP_SETGID over the parent namespace the kernel only takes a gid map once
     * setgroups is denied; root keeps setgroups usable inside. */
    if (geteuid() != 0 &&
        (ret = write_proc_file(pid, "setgroups", "deny", "linux.gidMappings", err)) < 0)
        return ret;
    return ns_write_id_map(pid, "gid_map", l->gid_mappings, l->n_gid_mappings,
                           "linux.gidMappings", err);
}

int ns_write_time_offsets(pid_t pid, const struct spec_linux *l, struct vse_err *err)
{
    if (l == NULL || (!l->time_monotonic.set && !l->time_boottime.set))
        return 0;
    char text[128] = "";
    size_t used = 0;
    if (l->time_monotonic.set)
        used += (size_t) snprintf(text + used, sizeof(text) - used, "monotonic %lld %u\n",
                                  (long long) l->time_monotonic.secs,
                                  l->time_monotonic.nanosecs);
    if (l->time_boottime.set)
        snprintf(text + used, sizeof(text) - used, "boottime %lld %u\n",
                 (long long) l->time_boottime.secs, l->time_boottime.nanosecs);
    _cleanup_free_ char *name = pid > 0 ? vse_asprintf("%d", (int) pid) : vse_strdup("self");
    _cleanup_free_ char *path = vse_asprintf("/proc/%s/timens_offsets", name);
    int ret = vse_write_file_at(AT_FDCWD, path, text, strlen(text), err);
    return ret < 0 ? vse_err_prefix(err, "linux.timeOffsets") : 0;
}

static bool has_namespace(const struct spec *s, enum spec_ns_type type)
{
    return spec_find_namespace(s, type) != NULL;
}

int ns_apply_uts(const struct spec *s, struct vse_err *err)
{
    if ((s->hostname || s->domainname) && !has_namespace(s, SPEC_NS_UTS))
        return vse_fail(err, EINVAL, "%s: setting it needs a uts namespace in linux.namespaces",
                        s->hostname ? "hostname" : "domainname");
    if (s->hostname && sethostname(s->hostname, strlen(s->hostname)) < 0)
        return vse_fail_errno(err, "hostname: sethostname \"%s\"", s->hostname);
    if (s->domainname && setdomainname(s->domainname, strlen(s->domainname)) < 0)
        return vse_fail_errno(err, "domainname: setdomainname \"%s\"", s->domainname);
    return 0;
}

static bool ns_listed(const struct spec_linux *l, enum spec_ns_type type)
{
    for (size_t i = 0; i < l->n_namespaces; i++)
        if (l->namespaces[i].type == type)
            return true;
    return false;
}

/* The namespace that makes a sysctl container-local, or SPEC_NS_COUNT when none does (such a
 * key would change the host, so it is refused). */
static enum spec_ns_type sysctl_namespace(const char *key)
{
    static const char *const ipc_keys[] = {"kernel.msgmax", "kernel.msgmnb", "kernel.msgmni",
                                           "kernel.sem", "kernel.shmall", "kernel.shmmax",
                                           "kernel.shmmni", "kernel.shm_rmid_forced",
                                           "kernel.msg_next_id", "kernel.sem_next_id",
                                           "kernel.shm_next_id"};
    for (size_t i = 0; i < VSE_ARRAY_SIZE(ipc_keys); i++)
        if (strcmp(key, ipc_keys[i]) == 0)
            return SPEC_NS_IPC;
    if (vse_str_has_prefix(key, "fs.mqueue."))
        return SPEC_NS_IPC;
    if (vse_str_has_prefix(key, "net."))
        return SPEC_NS_NETWORK;
    if (strcmp(key, "kernel.hostname") == 0 || strcmp(key, "kernel.domainname") == 0)
        return SPEC_NS_UTS;
    return SPEC_NS_COUNT;
}

/* "net.ipv4.ip_forward" or "net/ipv4/ip_forward" -> "net/ipv4/ip_forward"; NULL when a
 * component is empty or "..". */
static char *sysctl_relpath(const char *key)
{
    if (key[0] == '\0' || key[0] == '/' || key[0] == '.')
        return NULL;
    char *rel = vse_strdup(key);
    for (char *p = rel; *p; p++)
        if (*p == '.')
            *p = '/';
    if (strstr(rel, "//") || rel[strlen(rel) - 1] == '/' || strstr(key, "..")) {
        free(rel);
        return NULL;
    }
    return rel;
}

/* Opens the file of one sysctl below sysdir for writing: no symlinks, no crossing into another
 * mount (an image bind over /proc/sys/...), and the file itself must be on procfs. */
static int write_sysctl(int sysdir, const char *key, const char *rel, const char *value,
                        struct vse_err *err)
{
    struct open_how how = {
        .flags = O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOCTTY,
        .resolve = RESOLVE_BENEATH | RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS |
                   RESOLVE_NO_SYMLINKS,
    };
    _cleanup_close_ int fd = (int) syscall(SYS_openat2, sysdir, rel, &how, sizeof(how));
    if (fd < 0 && errno == EXDEV)
        return vse_fail(err, EXDEV, "linux.sysctl.%s: /proc/sys/%s is not on procfs (another "
                        "mount covers it)", key, rel);
    if (fd < 0)
        return vse_fail_errno(err, "linux.sysctl.%s: open /proc/sys/%s", key, rel);
    struct statfs sfs;
    if (fstatfs(fd, &sfs) < 0)
        return vse_fail_errno(err, "linux.sysctl.%s: fstatfs /proc/sys/%s", key, rel);
    if (sfs.f_type != PROC_SUPER_MAGIC)
        return vse_fail(err, EXDEV, "linux.sysctl.%s: /proc/sys/%s is not on procfs", key, rel);
    size_t len = strlen(value);
    if (write(fd, value, len) != (ssize_t) len)
        return vse_fail_errno(err, "linux.sysctl.%s: write \"%s\"", key, value);
    return 0;
}

/* A procfs instance of our own, detached, so nothing the image mounted over /proc matters. It
 * shows the caller's pid and network namespaces (the container's). -errno when the kernel
 * refuses (e.g. EPERM in a user namespace where /proc is not fully visible). */
static int open_private_procfs(void)
{
    _cleanup_close_ int fs = fsopen("proc", FSOPEN_CLOEXEC);
    if (fs < 0)
        return -errno;
    if (fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
        return -errno;
    int mnt = fsmount(fs, FSMOUNT_CLOEXEC,
                      MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
    return mnt < 0 ? -errno : mnt;
}

/* /proc/sys of a private procfs, else of the container's /proc once it is proven to be procfs
 * (write_sysctl() then refuses anything mounted below it). */
static int open_proc_sys(struct vse_err *err)
{
    _cleanup_close_ int proc = open_private_procfs();
    if (proc < 0) {
        struct open_how how = {.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
                               .resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS};
        proc = (int) syscall(SYS_openat2, AT_FDCWD, "/proc", &how, sizeof(how));
        if (proc < 0)
            return vse_fail_errno(err, "linux.sysctl: open /proc");
        struct statfs sfs;
        if (fstatfs(proc, &sfs) < 0)
            return vse_fail_errno(err, "linux.sysctl: fstatfs /proc");
        if (sfs.f_type != PROC_SUPER_MAGIC)
            return vse_fail(err, EXDEV, "linux.sysctl: /proc is not on procfs");
    }
    struct open_how how = {.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
                           .resolve = RESOLVE_BENEATH | RESOLVE_NO_XDEV | RESOLVE_NO_SYMLINKS |
                                      RESOLVE_NO_MAGICLINKS};
    int sys = (int) syscall(SYS_openat2, proc, "sys", &how, sizeof(how));
    if (sys < 0)
        return vse_fail_errno(err, "linux.sysctl: open /proc/sys");
    return sys;
}

/* The key's path below /proc/sys, after checking that its namespace is the container's own. */
static int check_sysctl(const struct spec_linux *l, const char *key, char **rel,
                        struct vse_err *err)
{
    _cleanup_free_ char *dotted = vse_strdup(key);
    for (char *p = dotted; *p; p++)
        if (*p == '/')
            *p = '.';
    enum spec_ns_type t = sysctl_namespace(dotted);
    if (t == SPEC_NS_COUNT)
        return vse_fail(err, EPERM, "linux.sysctl.%s: not namespaced, refusing to set a "
                        "host-wide sysctl", key);
    if (!ns_listed(l, t))
        return vse_fail(err, EPERM, "linux.sysctl.%s: needs a %s namespace", key,
                        spec_ns_type_name(t));
    if ((*rel = sysctl_relpath(key)) == NULL)
        return vse_fail(err, EINVAL, "linux.sysctl.%s: invalid key", key);
    return 0;
}

int ns_apply_sysctl(const struct spec_linux *l, struct vse_err *err)
{
    if (l == NULL || l->n_sysctl == 0)
        return 0;
    _cleanup_strv_ char **rels = vse_zalloc((l->n_sysctl + 1) * sizeof(char *));
    for (size_t i = 0; i < l->n_sysctl; i++) {
        int ret = check_sysctl(l, l->sysctl[i].key, &rels[i], err);
        if (ret < 0)
            return ret;
    }
    _cleanup_close_ int sysdir = open_proc_sys(err);
    if (sysdir < 0)
        return sysdir;
    for (size_t i = 0; i < l->n_sysctl; i++) {
        int ret = write_sysctl(sysdir, l->sysctl[i].key, rels[i], l->sysctl[i].value, err);
        if (ret < 0)
            return ret;
    }
    return 0;
}
