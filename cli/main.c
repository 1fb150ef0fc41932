/* vse: the command line. Global flags come before the command, as with runc:
 *   vse [--root DIR] [--log FILE] [--log-format text|json] [--debug] [--systemd-cgroup]
 *       COMMAND [command options] ARGS... */
#include "cli/cli.h"

#include <errno.h>
#include <seccomp.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "spec/spec.h"

enum {
    G_ROOT, G_LOG, G_LOG_FORMAT, G_DEBUG, G_SYSTEMD_CGROUP, G_CRIU, G_ROOTLESS, G_VERSION
};

static const struct cli_opt global_opts[] = {
    {"debug", 0, false, G_DEBUG, "enable debug logging"},
    {"log", 0, true, G_LOG, "set the log file to write vse logs to (default is stderr)"},
    {"log-format", 0, true, G_LOG_FORMAT, "set the log format ('text' (default), or 'json')"},
    {"root", 0, true, G_ROOT, "root directory for storage of container state (default: "
                              "\"" VSE_DEFAULT_ROOT "\")"},
    {"criu", 0, true, G_CRIU, "path to the criu binary used for checkpoint and restore"},
    {"systemd-cgroup", 0, false, G_SYSTEMD_CGROUP,
     "enable systemd cgroup support, cgroupsPath of the form \"slice:prefix:name\""},
    {"rootless", 0, true, G_ROOTLESS, "ignore cgroup permission errors ('true', 'false', "
                                      "or 'auto') (accepted for runc compatibility)"},
    {"version", 'v', false, G_VERSION, "print the version"},
    {0},
};

struct global_flags {
    const char *root;
    const char *log;
    bool log_json;
    bool debug;
    bool systemd_cgroup;
    bool version;
};

static int set_global(void *data, int id, const char *value, struct vse_err *err)
{
    struct global_flags *g = data;
    switch (id) {
    case G_ROOT:
        g->root = value;
        return 0;
    case G_LOG:
        g->log = value;
        return 0;
    case G_LOG_FORMAT:
        if (strcmp(value, "json") != 0 && strcmp(value, "text") != 0)
            return vse_fail(err, EINVAL, "invalid log-format: %s", value);
        g->log_json = strcmp(value, "json") == 0;
        return 0;
    case G_DEBUG:
        return cli_flag_bool(value, &g->debug, err);
    case G_SYSTEMD_CGROUP:
        return cli_flag_bool(value, &g->systemd_cgroup, err);
    case G_VERSION:
        return cli_flag_bool(value, &g->version, err);
    case G_CRIU:
    case G_ROOTLESS:
        return 0; /* accepted and ignored, as runc's callers pass them */
    }
    return 0;
}

typedef int (*cmd_fn)(struct cli_ctx *c, int argc, char **argv);

struct command {
    const char *name;
    cmd_fn fn;
    const char *desc;
};

static const struct command commands[] = {
    {"create", cmd_create, "create a container"},
    {"delete", cmd_delete, "delete any resources held by the container"},
    {"events", cmd_events, "display container events such as OOM notifications and stats"},
    {"exec", cmd_exec, "execute new process inside the container"},
    {"features", cmd_features, "show the enabled features"},
    {"kill", cmd_kill, "send a signal (default: SIGTERM) to the container's init process"},
    {"list", cmd_list, "list containers started by vse with the given root"},
    {"pause", cmd_pause, "suspend all processes inside the container"},
    {"ps", cmd_ps, "display the processes running inside a container"},
    {"resume", cmd_resume, "resume all processes that have been previously paused"},
    {"run", cmd_run, "create and run a container"},
    {"spec", cmd_spec, "create a new specification file"},
    {"start", cmd_start, "execute the user defined process in a created container"},
    {"state", cmd_state, "output the state of a container"},
    {"update", cmd_update, "update container resource constraints"},
};

static const struct command *find_command(const char *name)
{
    for (size_t i = 0; i < VSE_ARRAY_SIZE(commands); i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

static void print_version(void)
{
    const struct scmp_version *sv = seccomp_version();
    printf("vse version %s\nspec: %s\n", VSE_VERSION, VSE_OCI_VERSION);
    if (sv)
        printf("libseccomp: %u.%u.%u\n", sv->major, sv->minor, sv->micro);
}

static void print_help(FILE *f)
{
    fputs("vse - a daemonless OCI container runtime (runc command line)\n\n"
          "Usage: vse [global options] command [command options] [arguments...]\n\n"
          "To start a container from a bundle (a directory with config.json and a rootfs):\n"
          "    vse run [-b bundle] <container-id>\n\nCommands:\n", f);
    for (size_t i = 0; i < VSE_ARRAY_SIZE(commands); i++)
        fprintf(f, "   %-10s %s\n", commands[i].name, commands[i].desc);
    fputs("   help       show the list of commands or help for one command\n\n"
          "Global options:\n", f);
    for (const struct cli_opt *o = global_opts; o->name; o++) {
        char left[48];
        if (o->short_name)
            snprintf(left, sizeof(left), "--%s, -%c", o->name, o->short_name);
        else
            snprintf(left, sizeof(left), "--%s%s", o->name, o->has_arg ? " value" : "");
        fprintf(f, "   %-22s %s\n", left, o->help);
    }
    fputs("   --help, -h             show help\n", f);
}

static int set_nothing(void *data, int id, const char *value, struct vse_err *err)
{
    (void) data, (void) id, (void) value, (void) err;
    return 0;
}

bool cli_cmd_begin(struct cli_ctx *c, const struct cli_cmd_desc *d, const struct cli_parse *p,
                   int argc, char **argv, char ***positional, int *status)
{
    static const struct cli_opt no_opts[] = {{0}};
    static const struct cli_parse no_options = {.opts = no_opts, .set = set_nothing};
    if (p == NULL)
        p = &no_options;
    struct vse_err err = {0};
    bool help = false;
    if (cli_parse_args(p, argc, argv, positional, &help, &err) < 0) {
        *status = cli_error_err(c, &err);
        fprintf(stderr, "Run 'vse %s --help' for usage.\n", d->name);
        return false;
    }
    if (help) {
        cli_print_usage(stdout, d->name, d->usage, d->desc, p->opts);
        *status = 0;
        return false;
    }
    if (cli_check_args(d->name, *positional, d->min_args, d->max_args, &err) < 0) {
        *status = cli_error_err(c, &err);
        fprintf(stderr, "Usage: vse %s %s\n", d->name, d->usage);
        return false;
    }
    return true;
}

int cli_id_command(struct cli_ctx *c, const struct cli_cmd_desc *d, cli_id_fn fn, int argc,
                   char **argv)
{
    _cleanup_strv_ char **pos = NULL;
    int status;
    if (!cli_cmd_begin(c, d, NULL, argc, argv, &pos, &status))
        return status;
    struct vse_err err = {0};
    if (fn(&c->rt, pos[0], &err) < 0)
        return cli_error_err(c, &err);
    return 0;
}

/* `vse help [command]` */
static int run_help(struct cli_ctx *c, int argc, char **argv)
{
    if (argc < 1) {
        print_help(stdout);
        return 0;
    }
    const struct command *cmd = find_command(argv[0]);
    if (cmd == NULL)
        return cli_error(c, "No help topic for '%s'", argv[0]);
    char help_flag[] = "--help";
    char *args[] = {help_flag, NULL};
    return cmd->fn(c, 1, args);
}

static int dispatch(struct cli_ctx *c, int argc, char **argv)
{
    if (argc == 0) {
        print_help(stdout);
        return 0;
    }
    if (strcmp(argv[0], "help") == 0 || strcmp(argv[0], "h") == 0)
        return run_help(c, argc - 1, argv + 1);
    const struct command *cmd = find_command(argv[0]);
    if (cmd == NULL) {
        int r = cli_error(c, "unknown command '%s'", argv[0]);
        fputs("Run 'vse --help' for the list of commands.\n", stderr);
        return r;
    }
    return cmd->fn(c, argc - 1, argv + 1);
}

int main(int argc, char **argv)
{
    struct global_flags g = {.root = VSE_DEFAULT_ROOT};
    struct cli_log log = {.file = stderr};
    cli_log_open(&log, NULL, false, false, &(struct vse_err){0});
    struct cli_ctx c = {.log = &log, .argv0 = argv[0]};

    struct vse_err err = {0};
    _cleanup_strv_ char **rest = NULL;
    bool help = false;
    const struct cli_parse p = {
        .opts = global_opts, .set = set_global, .data = &g, .stop_at_positional = true};
    if (cli_parse_args(&p, argc - 1, argv + 1, &rest, &help, &err) < 0) {
        int r = cli_error_err(&c, &err);
        fputs("Run 'vse --help' for usage.\n", stderr);
        return r;
    }
    if (help) {
        print_help(stdout);
        return 0;
    }
    if (g.version) {
        print_version();
        return 0;
    }
    if (rest && runtime_command_needs_protection(rest[0]) &&
        runtime_protect_binary(argv, environ, &err) < 0)
        return cli_error_err(&c, &err);
    if (cli_log_open(&log, g.log, g.log_json, g.debug, &err) < 0)
        return cli_error_err(&c, &err);
    c.rt = (struct vse_runtime){
        .root = g.root, .log = &log.logger, .systemd_cgroup = g.systemd_cgroup};
    vse_log(&log.logger, VSE_LOG_DEBUG, "vse %s: root %s", VSE_VERSION, g.root);
    int status = dispatch(&c, (int) vse_strv_len(rest), rest);
    fflush(stdout);
    cli_log_close(&log);
    return status;
}
