/* The runtime library: container lifecycle on top of spec/, ns/, rootfs/, cgroups/, process/,
 * security/. cli/ (and, later, the microVM agent) call only this header. */
#ifndef VSE_RUNTIME_H
#define VSE_RUNTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/error.h"
#include "common/log.h"
#include "spec/spec.h"

#define VSE_VERSION "0.1.0"
#define VSE_DEFAULT_ROOT "/run/vse"

/* Everything a command needs from the global flags; no global state anywhere. */
struct vse_runtime {
    const char *root;           /* state directory root (--root) */
    const struct vse_logger *log;
    bool systemd_cgroup;        /* --systemd-cgroup */
    const char *cgroup_root;    /* NULL: /sys/fs/cgroup (tests) */
};

struct runtime_create_opts {
    const char *id;
    const char *bundle;         /* NULL: current directory */
    const char *console_socket;
    const char *pid_file;
    bool no_pivot;
    bool no_new_keyring;
    int preserve_fds;
    /* run only: */
    bool detach;
    bool keep;
};

int runtime_validate_id(const char *id, struct vse_err *err);

/* Commands that start processes inside a container (create, run, exec) call this first: it
 * re-executes vse from a sealed in-memory copy of itself, so a container can never reach and
 * overwrite the vse binary on disk through /proc/<pid>/exe (CVE-2019-5736). Returns 0 when
 * already running from the sealed copy; on success otherwise it does not return. */
int runtime_protect_binary(char **argv, char **envp, struct vse_err *err);
bool runtime_command_needs_protection(const char *command);

int runtime_create(const struct vse_runtime *rt, const struct runtime_create_opts *o,
                   struct vse_err *err);
int runtime_start(const struct vse_runtime *rt, const char *id, struct vse_err *err);
/* create + start; without detach waits and stores the container's exit status (128+signal
 * when killed) in *exit_status. */
int runtime_run(const struct vse_runtime *rt, const struct runtime_create_opts *o,
                int *exit_status, struct vse_err *err);

enum container_status {
    CONTAINER_CREATING, CONTAINER_CREATED, CONTAINER_RUNNING, CONTAINER_PAUSED,
    CONTAINER_STOPPED
};
const char *container_status_name(enum container_status s);

struct container_info {
    char *id;
    pid_t pid;                  /* 0 when stopped */
    enum container_status status;
    char *bundle;
    char *rootfs;
    char *created;              /* RFC 3339 */
    char *owner;
    struct spec_kv *annotations;
    size_t n_annotations;
};
void container_info_free(struct container_info *ci);
void container_info_list_free(struct container_info *list, size_t n);

int runtime_state(const struct vse_runtime *rt, const char *id, struct container_info *out,
                  struct vse_err *err);
/* runc's state JSON for one container (pretty), caller frees. */
char *runtime_state_json(const struct container_info *ci);
int runtime_list(const struct vse_runtime *rt, struct container_info **out, size_t *n,
                 struct vse_err *err);

/* sig: a number; runtime_parse_signal() takes "KILL", "SIGKILL" or "9". */
int runtime_parse_signal(const char *s, int *sig, struct vse_err *err);
int runtime_kill(const struct vse_runtime *rt, const char *id, int sig, bool all,
                 struct vse_err *err);
int runtime_delete(const struct vse_runtime *rt, const char *id, bool force,
                   struct vse_err *err);

struct runtime_exec_opts {
    const char *id;
    const char *process_file;   /* --process FILE; otherwise the fields below */
    char **args;
    char **env;                 /* --env, added to/overriding the config's */
    const char *cwd;
    const char *user;           /* "uid[:gid]" */
    char **caps;                /* --cap, added */
    bool no_new_privs;
    bool tty;
    const char *console_socket;
    bool detach;
    const char *pid_file;
    int preserve_fds;
};
int runtime_exec(const struct vse_runtime *rt, const struct runtime_exec_opts *o,
                 int *exit_status, struct vse_err *err);

/* cgroup-backed commands (issue: cgroups). */
int runtime_pause(const struct vse_runtime *rt, const char *id, struct vse_err *err);
int runtime_resume(const struct vse_runtime *rt, const char *id, struct vse_err *err);
int runtime_update(const struct vse_runtime *rt, const char *id,
                   const struct spec_resources *res, struct vse_err *err);
/* pids of the container (host view), caller frees. */
int runtime_ps(const struct vse_runtime *rt, const char *id, pid_t **pids, size_t *n,
               struct vse_err *err);
/* Calls emit(json_line) for each event (stats every interval_ms, oom when it happens) until
 * the container stops; with stats_once, one stats event and return. */
int runtime_events(const struct vse_runtime *rt, const char *id, bool stats_once,
                   unsigned interval_ms, void (*emit)(void *data, const char *json_line),
                   void *data, struct vse_err *err);

#endif
