/* exec: run a new process inside a running container. Everything after the container id is
 * the process's command line, so options must come before the id (as with runc). */
#include "cli/cli.h"

#include <errno.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/util.h"

enum {
    O_CONSOLE_SOCKET, O_CWD, O_ENV, O_TTY, O_USER, O_ADDITIONAL_GIDS, O_PROCESS, O_DETACH,
    O_PID_FILE, O_PROCESS_LABEL, O_APPARMOR, O_NO_NEW_PRIVS, O_CAP, O_PRESERVE_FDS, O_CGROUP,
    O_IGNORE_PAUSED
};

static const struct cli_opt exec_opts[] = {
    {"console-socket", 0, true, O_CONSOLE_SOCKET,
     "path to an AF_UNIX socket which will receive the master end of the console's pty"},
    {"cwd", 0, true, O_CWD, "current working directory in the container"},
    {"env", 'e', true, O_ENV, "set an environment variable (K=V; repeatable)"},
    {"tty", 't', false, O_TTY, "allocate a pseudo-TTY"},
    {"user", 'u', true, O_USER, "UID (format: <uid>[:<gid>])"},
    {"additional-gids", 'g', true, O_ADDITIONAL_GIDS, "additional gids (not supported yet)"},
    {"process", 'p', true, O_PROCESS, "path to the process.json"},
    {"detach", 'd', false, O_DETACH, "detach from the container's process"},
    {"pid-file", 0, true, O_PID_FILE, "specify the file to write the process id to"},
    {"process-label", 0, true, O_PROCESS_LABEL, "set the SELinux label (not supported)"},
    {"apparmor", 0, true, O_APPARMOR, "set the AppArmor profile (not supported)"},
    {"no-new-privs", 0, false, O_NO_NEW_PRIVS, "set no_new_privileges for the process"},
    {"cap", 'c', true, O_CAP, "add a capability to the bounding set (repeatable)"},
    {"preserve-fds", 0, true, O_PRESERVE_FDS,
     "pass N additional file descriptors to the process (stdio + $LISTEN_FDS + N)"},
    {"cgroup", 0, true, O_CGROUP, "run the process in a sub-cgroup (not supported yet)"},
    {"ignore-paused", 0, false, O_IGNORE_PAUSED, "allow exec in a paused container"},
    {0},
};

struct exec_flags {
    struct runtime_exec_opts o;
    char **env;
    char **caps;
};

static int unsupported(const char *flag, const char *why, struct vse_err *err)
{
    return vse_fail(err, ENOTSUP, "exec --%s: %s", flag, why);
}

/* The flags whose value is stored as given. */
static const char **string_flag(struct runtime_exec_opts *o, int id)
{
    switch (id) {
    case O_CONSOLE_SOCKET:
        return &o->console_socket;
    case O_CWD:
        return &o->cwd;
    case O_USER:
        return &o->user;
    case O_PROCESS:
        return &o->process_file;
    case O_PID_FILE:
        return &o->pid_file;
    }
    return NULL;
}

/* The flags that take a value: 0 or an error when id is one of them, 1 otherwise. */
static int set_exec_value(struct exec_flags *f, int id, const char *value, struct vse_err *err)
{
    const char **dst = string_flag(&f->o, id);
    if (dst != NULL) {
        *dst = value;
        return 0;
    }
    switch (id) {
    case O_ENV:
        if (strchr(value, '=') == NULL)
            return vse_fail(err, EINVAL, "exec --env %s: expected KEY=VALUE", value);
        vse_strv_push(&f->env, value);
        return 0;
    case O_CAP:
        vse_strv_push(&f->caps, value);
        return 0;
    case O_PRESERVE_FDS:
        return cli_parse_preserve_fds(value, &f->o.preserve_fds, err);
    }
    return 1;
}

static int set_exec(void *data, int id, const char *value, struct vse_err *err)
{
    struct exec_flags *f = data;
    int r = set_exec_value(f, id, value, err);
    if (r <= 0)
        return r;
    switch (id) {
    case O_TTY:
        return cli_flag_bool(value, &f->o.tty, err);
    case O_DETACH:
        return cli_flag_bool(value, &f->o.detach, err);
    case O_NO_NEW_PRIVS:
        return cli_flag_bool(value, &f->o.no_new_privs, err);
    case O_ADDITIONAL_GIDS:
        return unsupported("additional-gids", "not supported yet; use --process with "
                           "user.additionalGids", err);
    case O_PROCESS_LABEL:
        return unsupported("process-label", "SELinux labels are not supported by vse", err);
    case O_APPARMOR:
        return unsupported("apparmor", "AppArmor profiles are not supported by vse", err);
    case O_CGROUP:
        return unsupported("cgroup", "sub-cgroups for exec are not supported yet", err);
    case O_IGNORE_PAUSED:
        return 0;
    }
    return 0;
}

static void exec_flags_cleanup(struct exec_flags *f)
{
    vse_strv_free(f->env);
    vse_strv_free(f->caps);
}

int cmd_exec(struct cli_ctx *c, int argc, char **argv)
{
    static const struct cli_cmd_desc d = {
        "exec", "[command options] <container-id> <command> [command options]",
        "Execute a new process inside the container; without --detach wait for it and exit "
        "with its status.", 1, -1};
    __attribute__((cleanup(exec_flags_cleanup))) struct exec_flags f = {0};
    const struct cli_parse p = {
        .opts = exec_opts, .set = set_exec, .data = &f, .stop_at_positional = true};
    _cleanup_strv_ char **pos = NULL;
    int status;
    if (!cli_cmd_begin(c, &d, &p, argc, argv, &pos, &status))
        return status;
    f.o.id = pos[0];
    char **args = pos + 1;
    if (args[0] && strcmp(args[0], "--") == 0) /* `exec ID -- cmd`: the separator is not argv */
        args++;
    f.o.args = args[0] ? args : NULL;
    f.o.env = f.env;
    f.o.caps = f.caps;
    if (f.o.process_file == NULL && f.o.args == NULL)
        return cli_error(c, "exec: args must not be empty (give a command or --process)");
    struct vse_err err = {0};
    int exit_status = 0;
    if (runtime_exec(&c->rt, &f.o, &exit_status, &err) < 0)
        return cli_error_err(c, &err);
    return f.o.detach ? 0 : exit_status;
}
