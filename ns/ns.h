/* Namespaces: which to create, joining existing ones by path, user-namespace id maps, time
 * namespace offsets, and the per-namespace kernel settings (hostname, domainname, sysctl). */
#ifndef VSE_NS_H
#define VSE_NS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "common/error.h"
#include "spec/spec.h"

/* CLONE_NEW* flag of a namespace type. */
int ns_clone_flag(enum spec_ns_type type);

/* CLONE_NEW* flags of the namespaces the config asks to create (those without a path). */
int ns_new_flags(const struct spec *s);

/* Opens every namespace path of the config (before clone, in the runtime's view), O_CLOEXEC.
 * fds[type] is -1 where no path is given. */
int ns_open_paths(const struct spec *s, int fds[SPEC_NS_COUNT], struct vse_err *err);
void ns_close_fds(int fds[SPEC_NS_COUNT]);

/* setns() into every opened fd; the user namespace first, so the others are joined with its
 * privileges. Types in skip_flags (CLONE_NEW* bits) are left alone. */
int ns_join_fds(const int fds[SPEC_NS_COUNT], int skip_flags, struct vse_err *err);

/* Writes one id map, /proc/<pid>/<file> ("uid_map" or "gid_map"); errors start with field. */
int ns_write_id_map(pid_t pid, const char *file, const struct spec_id_mapping *m, size_t n,
                    const char *field, struct vse_err *err);

/* Writes /proc/<pid>/{uid_map,setgroups,gid_map} from linux.uidMappings/gidMappings. */
int ns_write_id_mappings(pid_t pid, const struct spec_linux *l, struct vse_err *err);

/* Writes /proc/<pid>/timens_offsets for a time namespace nobody has entered yet. */
int ns_write_time_offsets(pid_t pid, const struct spec_linux *l, struct vse_err *err);

/* Inside the container: hostname, domainname, then linux.sysctl through the container's
 * /proc/sys (refusing keys that escape it). */
int ns_apply_uts(const struct spec *s, struct vse_err *err);
int ns_apply_sysctl(const struct spec_linux *l, struct vse_err *err);

#endif
