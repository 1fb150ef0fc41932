/* create, start, run, delete, kill. */
#include "cli/cli.h"

#include <errno.h>
#include <signal.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/util.h"

enum {
    O_BUNDLE, O_CONSOLE_SOCKET, O_PID_FILE, O_NO_PIVOT, O_NO_NEW_KEYRING, O_PRESERVE_FDS,
    O_DETACH, O_KEEP, O_NO_SUBREAPER
};

#define CREATE_OPTS                                                                               \
    {"bundle", 'b', true, O_BUNDLE,                                                               \
     "path to the root of the bundle directory, defaults to the current directory"},              \
    {"console-socket", 0, true, O_CONSOLE_SOCKET,                                                 \
     "path to an AF_UNIX socket which will receive the master end of the console's pty"},         \
    {"pid-file", 0, true, O_PID_FILE, "specify the file to write the process id to"},             \
    {"no-pivot", 0, false, O_NO_PIVOT, "do not use pivot_root to jail the process (ramdisk)"},     \
    {"no-new-keyring", 0, false, O_NO_NEW_KEYRING,                                                \
     "do not create a new session keyring for the container"},                                    \
    {"preserve-fds", 0, true, O_PRESERVE_FDS,                                                     \
     "pass N additional file descriptors to the container (stdio + $LISTEN_FDS + N)"}

static const struct cli_opt create_opts[] = {CREATE_OPTS, {0}};

static const struct cli_opt run_opts[] = {
    CREATE_OPTS,
    {"detach", 'd', false, O_DETACH, "detach from the container's process"},
    {"keep", 0, false, O_KEEP, "do not delete the container after it exits"},
    {"no-subreaper", 0, false, O_NO_SUBREAPER, NULL},
    {0},
};

static int set_create(void *data, int id, const char *value, struct vse_err *err)
{
    struct runtime_create_opts *o = data;
    switch (id) {
    case O_BUNDLE:
        o->bundle = value;
        return 0;
    case O_CONSOLE_SOCKET:
        o->console_socket = value;
        return 0;
    case O_PID_FILE:
        o->pid_file = value;
        return 0;
    case O_NO_PIVOT:
        return cli_flag_bool(value, &o->no_pivot, err);
    case O_NO_NEW_KEYRING:
        return cli_flag_bool(value, &o->no_new_keyring, err);
    case O_PRESERVE_FDS:
        return cli_parse_preserve_fds(value, &o->preserve_fds, err);
    case O_DETACH:
        return cli_flag_bool(value, &o->detach, err);
    case O_KEEP:
        return cli_flag_bool(value, &o->keep, err);
    case O_NO_SUBREAPER:
        return 0; /* vse's run process always reaps its own children */
    }
    return 0;
}

/* create and run: the same flags (run has a few more), then the runtime call. */
static int create_or_run(struct cli_ctx *c, const struct cli_cmd_desc *d,
                         const struct cli_opt *opts, int argc, char **argv)
{
    bool is_run = opts == run_opts;
    struct runtime_create_opts o = {0};
    const struct cli_parse p = {.opts = opts, .set = set_create, .data = &o};
    _cleanup_strv_ char **pos = NULL;
    int status;
    if (!cli_cmd_begin(c, d, &p, argc, argv, &pos, &status))
        return status;
    o.id = pos[0];
    struct vse_err err = {0};
    int exit_status = 0;
    int ret = is_run ? runtime_run(&c->rt, &o, &exit_status, &err)
                     : runtime_create(&c->rt, &o, &err);
    if (ret < 0)
        return cli_error_err(c, &err);
    return o.detach ? 0 : exit_status;
}

int cmd_create(struct cli_ctx *c, int argc, char **argv)
{
    static const struct cli_cmd_desc d = {
        "create", "[command options] <container-id>",
        "Create a container from the bundle (config.json + rootfs). The container's process "
        "waits until `vse start`.", 1, 1};
    return create_or_run(c, &d, create_opts, argc, argv);
}

int cmd_run(struct cli_ctx *c, int argc, char **argv)
{
    static const struct cli_cmd_desc d = {
        "run", "[command options] <container-id>",
        "Create and start a container; without --detach wait for it and exit with its "
        "status.", 1, 1};
    return create_or_run(c, &d, run_opts, argc, argv);
}

int cmd_start(struct cli_ctx *c, int argc, char **argv)
{
    static const struct cli_cmd_desc d = {
        "start", "<container-id>", "Execute the user defined process in a created container.",
        1, 1};
    return cli_id_command(c, &d, runtime_start, argc, argv);
}

enum { O_FORCE, O_ALL };

static int set_bool_flag(void *data, int id, const char *value, struct vse_err *err)
{
    (void) id;
    return cli_flag_bool(value, data, err);
}

int cmd_delete(struct cli_ctx *c, int argc, char **argv)
{
    static const struct cli_cmd_desc d = {
        "delete", "[command options] <container-id>",
        "Delete any resources held by the container (state, cgroups).", 1, 1};
    static const struct cli_opt opts[] = {
        {"force", 'f', false, O_FORCE,
         "forcibly delete the container if it is still running (uses SIGKILL)"},
        {0}};
    bool force = false;
    const struct cli_parse p = {.opts = opts, .set = set_bool_flag, .data = &force};
    _cleanup_strv_ char **pos = NULL;
    int status;
    if (!cli_cmd_begin(c, &d, &p, argc, argv, &pos, &status))
        return status;
    struct vse_err err = {0};
    if (runtime_delete(&c->rt, pos[0], force, &err) == -ENOENT && force) {
        /* As runc and crun: `delete --force` of a container that is already gone succeeds,
         * so callers (containerd's shim, conmon) can clean up unconditionally. */
        vse_log(&c->log->logger, VSE_LOG_DEBUG, "delete --force %s: %s", pos[0], err.msg);
        return 0;
    }
    if (err.code)
        return cli_error_err(c, &err);
    return 0;
}

int cmd_kill(struct cli_ctx *c, int argc, char **argv)
{
    static const struct cli_cmd_desc d = {
        "kill", "[command options] <container-id> [signal]",
        "Send a signal (default: SIGTERM; a name like KILL or SIGKILL, or a number) to the "
        "container's init process.", 1, 2};
    static const struct cli_opt opts[] = {
        {"all", 'a', false, O_ALL, "send the signal to all processes inside the container"},
        {0}};
    bool all = false;
    const struct cli_parse p = {.opts = opts, .set = set_bool_flag, .data = &all};
    _cleanup_strv_ char **pos = NULL;
    int status;
    if (!cli_cmd_begin(c, &d, &p, argc, argv, &pos, &status))
        return status;
    struct vse_err err = {0};
    int sig = SIGTERM;
    if (pos[1] && runtime_parse_signal(pos[1], &sig, &err) < 0)
        return cli_error_err(c, &err);
    if (runtime_kill(&c->rt, pos[0], sig, all, &err) < 0)
        return cli_error_err(c, &err);
    return 0;
}
