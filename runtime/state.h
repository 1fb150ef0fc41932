/* Internal to runtime/: the on-disk state of one container under <root>/<id>/ and its lock.
 * (Not a public header: only the .c files of runtime/ include it.) */
#ifndef VSE_RUNTIME_STATE_H
#define VSE_RUNTIME_STATE_H

#include <stdbool.h>
#include <sys/types.h>

#include "cgroups/cgroups.h"
#include "common/error.h"
#include "runtime/runtime.h"
#include "spec/spec.h"

struct container_state {
    char *id;
    char *dir;                     /* <root>/<id> */
    pid_t pid;                     /* the container init (host pid) */
    unsigned long long start_time; /* field 22 of /proc/<pid>/stat at create */
    char *bundle;
    char *rootfs;                  /* absolute */
    char *created;                 /* RFC 3339 */
    char *owner;
    struct spec *spec;             /* the config.json copy kept in the state dir */
    struct cgroup_manager *cgroup; /* NULL when the container has none */
    int lock_fd;                   /* flock'd <dir>/lock, -1 when not locked */
};

/* Loads <root>/<id>/state.json (and config.json); with lock, holds an exclusive flock on
 * <root>/<id>/lock until container_state_free. Unknown id: -ENOENT, message
 * "container does not exist" (runc's wording, clients match on it). */
int container_state_load(const struct vse_runtime *rt, const char *id, bool lock,
                         struct container_state **out, struct vse_err *err);
/* Writes state.json atomically. */
int container_state_save(const struct container_state *st, struct vse_err *err);
void container_state_free(struct container_state *st);
static inline void container_state_freep(struct container_state **st)
{
    container_state_free(*st);
}
#define _cleanup_container_state_ __attribute__((cleanup(container_state_freep)))

/* Status from the live process (pidfd + start time), the exec fifo and the cgroup freezer. */
enum container_status container_state_status(const struct container_state *st);
/* The same for an init known to be alive (e.g. a pidfd was just taken): created, running or
 * paused, without reading /proc again. */
enum container_status container_state_live_status(const struct container_state *st);

/* A pidfd for the init, or -ESRCH when it is gone or the pid was reused. */
int container_state_pidfd(const struct container_state *st, struct vse_err *err);

#endif
