/* Security settings of the container process: capabilities (libcap), no_new_privs, seccomp
 * (libseccomp, with SCMP_ACT_NOTIFY and the listener protocol), and LSM labels. */
#ifndef VSE_SECURITY_H
#define VSE_SECURITY_H

#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"
#include "common/log.h"
#include "spec/spec.h"

/* Drops from the bounding set everything not listed (before the user switch, while the process
 * still holds CAP_SETPCAP). */
int security_apply_bounding(const struct spec_capabilities *c, struct vse_err *err);
/* Sets effective, permitted, inheritable and ambient (after the user switch). NULL caps means
 * every set empty. */
int security_apply_capabilities(const struct spec_capabilities *c, struct vse_err *err);
int security_set_no_new_privs(struct vse_err *err);

/* The compiled filter is built before pivot_root (libseccomp reads nothing from the rootfs but
 * building is costly) and loaded as late as possible, right before execve. */
struct security_seccomp;
int security_seccomp_compile(const struct spec_seccomp *sc, const struct vse_logger *log,
                             struct security_seccomp **out, struct vse_err *err);

/* The cache of compiled filters (docs/security.md, "Cache of the compiled filter"): opens
 * <state_root>/.seccomp-cache, creating it 0700, and returns an O_PATH directory fd, or -1 when
 * there is no usable cache (the reason is logged; not an error, filters are then compiled every
 * time). The directory must be owned by the caller's euid and not group/world writable.
 * Call it in the host's mount namespace (before joining or entering a container's): a path
 * resolved inside a container could name a file the container planted. */
int security_seccomp_cache_open(const char *state_root, const struct vse_logger *log);

struct security_seccomp_opts {
    /* From security_seccomp_cache_open, or -1: no cache. Borrowed; the caller closes it after
     * the compile. Filters with SCMP_ACT_NOTIFY, or flags other than LOG, SPEC_ALLOW and
     * TSYNC, are never cached. */
    int cache_dirfd;
};
/* security_seccomp_compile with options; NULL opts is the same as security_seccomp_compile. On
 * a cache hit libseccomp is not used at all and load is one seccomp() syscall. */
int security_seccomp_compile_opts(const struct spec_seccomp *sc,
                                  const struct security_seccomp_opts *opts,
                                  const struct vse_logger *log, struct security_seccomp **out,
                                  struct vse_err *err);
/* Loads the filter. When it uses SCMP_ACT_NOTIFY, the listener fd and the container state
 * (state_json) are sent to listenerPath as the runtime-spec describes. */
int security_seccomp_load(struct security_seccomp *f, const char *state_json,
                          struct vse_err *err);
void security_seccomp_free(struct security_seccomp *f);
/* True when the filter has SCMP_ACT_NOTIFY rules: compile then connected to listenerPath
 * (before pivot_root, while the host path is reachable) and load sends the fd there. */
bool security_seccomp_uses_notify(const struct security_seccomp *f);
static inline void security_seccomp_freep(struct security_seccomp **f)
{
    security_seccomp_free(*f);
}
#define _cleanup_seccomp_ __attribute__((cleanup(security_seccomp_freep)))

/* AppArmor profile / SELinux label of the process, when the host has that LSM. Without it, a
 * request is handled as documented in docs/security.md. */
int security_apply_lsm(const struct spec_process *p, const struct vse_logger *log,
                       struct vse_err *err);

/* Writes the compiled filter as raw BPF (struct sock_filter array) to fd; what libseccomp
 * generates inside seccomp_load. Used to measure the compile cost (security/seccomp_tool.c). */
int security_seccomp_export_bpf(const struct security_seccomp *f, int fd, struct vse_err *err);

/* CVE-2019-5736 defence, called by the CLI first thing in create, run and exec: unless the
 * process already runs from one, copies /proc/self/exe into a sealed memfd (no write, grow,
 * shrink or seal changes) and re-executes it with the same argv and envp, so no process vse
 * starts has the host binary as /proc/<pid>/exe. Returns 0 when already running from the
 * sealed copy; on success it does not return. Errors name the step (memfd_create, execveat). */
int security_protect_self_exe(char **argv, char **envp, struct vse_err *err);
/* 1 when /proc/self/exe is the sealed copy, 0 when not, negative errno on failure. */
int security_self_exe_is_sealed(void);

#endif
