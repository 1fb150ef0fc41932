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

#endif
