/* The default seccomp profile of containers vse configures itself (`vse spec`, `vse run
 * image.tar`): deny by default with EPERM, an allow list of syscalls, argument conditions for
 * personality, clone and socket, and syscall groups unlocked by the capabilities that make
 * them meaningful. docs/security.md ("Default seccomp profile") explains each choice. */
#ifndef VSE_SPEC_DEFAULT_SECCOMP_H
#define VSE_SPEC_DEFAULT_SECCOMP_H

#include <stdint.h>

#include "json/json.h"

/* Writes the profile as one JSON object (the value of linux.seccomp) for the default
 * capability set of `vse spec` (CAP_AUDIT_WRITE, CAP_KILL, CAP_NET_BIND_SERVICE). */
void spec_write_default_seccomp(json_writer *w);

/* The same profile for a process whose bounding set is `caps` (bits 1ULL << CAP_*): groups
 * gated by a capability (CAP_SYS_ADMIN: mount, unshare, setns, ...; CAP_SYS_PTRACE:
 * process_vm_readv, ...) are allowed only when that capability is in the set. */
void spec_write_default_seccomp_caps(json_writer *w, uint64_t caps);

#endif
