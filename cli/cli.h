/* Internal header of cli/: the option parser, the --log sink and the command entry points.
 * Nothing outside cli/ includes it. */
#ifndef VSE_CLI_H
#define VSE_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "common/error.h"
#include "common/log.h"
#include "runtime/runtime.h"

/* ---- the --log sink (log.c) ---- */
struct cli_log {
    FILE *file;        /* --log FILE, or stderr */
    bool owns_file;    /* true when --log opened it */
    bool json;         /* --log-format json */
    struct vse_logger logger;
};

/* Opens the sink: path NULL means stderr. Errors are printed by the caller. */
int cli_log_open(struct cli_log *l, const char *path, bool json, bool debug, struct vse_err *err);
void cli_log_close(struct cli_log *l);

/* ---- what every command gets ---- */
struct cli_ctx {
    struct vse_runtime rt;
    struct cli_log *log;
    const char *argv0;
};

/* Reports an error the way runc does: one line at level error in the log (the file of --log,
 * else stderr), and the plain message on stderr when the log is a file. Returns 1, the exit
 * status of a failed command. */
int cli_error(struct cli_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Same for a filled vse_err. */
int cli_error_err(struct cli_ctx *c, const struct vse_err *err);

/* ---- option parsing (options.c) ---- */
struct cli_opt {
    const char *name;  /* long name without dashes: "bundle" */
    char short_name;   /* 'b', or 0 */
    bool has_arg;      /* takes a value; otherwise a boolean flag */
    int id;            /* handed to the setter */
    const char *help;  /* one line for --help; NULL hides the option */
};

/* Called for each option found; value is NULL for a boolean flag set to true, "false" when
 * written --flag=false. Returns 0 or a negative errno with err filled. */
typedef int (*cli_opt_setter)(void *data, int id, const char *value, struct vse_err *err);

struct cli_parse {
    const struct cli_opt *opts;
    cli_opt_setter set;
    void *data;
    /* Options end at the first positional argument (exec, ps: everything after the id belongs
     * to the process). Otherwise options and positionals may mix, as runc allows. */
    bool stop_at_positional;
};

/* Parses argv[0..argc) (the words after the command name). Fills *positional (a strv owned
 * by the caller, possibly empty, never NULL on success) and sets *help when --help/-h was
 * seen. */
int cli_parse_args(const struct cli_parse *p, int argc, char **argv, char ***positional,
                   bool *help, struct vse_err *err);

/* Boolean flag values: NULL or "true"/"1" -> true; "false"/"0" -> false. */
int cli_flag_bool(const char *value, bool *out, struct vse_err *err);
/* --preserve-fds N: an int from 0 to 65536. */
int cli_parse_preserve_fds(const char *value, int *out, struct vse_err *err);
/* Human sizes as runc takes them: "1024", "100m", "1.5g", "512KiB", "-1" (unlimited). */
int cli_parse_size(const char *s, int64_t *out);
/* Go durations: "5s", "100ms", "1m30s", "1.5h" -> milliseconds (rounded down). */
int cli_parse_duration_ms(const char *s, uint64_t *out);

/* Prints "Usage: vse NAME USAGE\n\nDESC\n\nOptions:\n..." to f. */
void cli_print_usage(FILE *f, const char *name, const char *usage, const char *desc,
                     const struct cli_opt *opts);

/* Checks the positional count; fills err like runc ("\"kill\" requires a minimum of 1
 * argument(s)"). max < 0: no maximum. */
int cli_check_args(const char *cmd, char **positional, int min, int max, struct vse_err *err);

/* ---- commands: each gets the words after its name ---- */
int cmd_create(struct cli_ctx *c, int argc, char **argv);
int cmd_start(struct cli_ctx *c, int argc, char **argv);
int cmd_run(struct cli_ctx *c, int argc, char **argv);
int cmd_delete(struct cli_ctx *c, int argc, char **argv);
int cmd_kill(struct cli_ctx *c, int argc, char **argv);

int cmd_state(struct cli_ctx *c, int argc, char **argv);
int cmd_list(struct cli_ctx *c, int argc, char **argv);
int cmd_ps(struct cli_ctx *c, int argc, char **argv);
int cmd_events(struct cli_ctx *c, int argc, char **argv);
int cmd_features(struct cli_ctx *c, int argc, char **argv);
int cmd_spec(struct cli_ctx *c, int argc, char **argv);

int cmd_exec(struct cli_ctx *c, int argc, char **argv);

int cmd_pause(struct cli_ctx *c, int argc, char **argv);
int cmd_resume(struct cli_ctx *c, int argc, char **argv);
int cmd_update(struct cli_ctx *c, int argc, char **argv);

/* Shared prologue of every command: parses argv with p (NULL: the command has no options);
 * on --help prints the usage to stdout and sets *status 0; on a usage error reports it and
 * sets *status 1. Returns true when the command should go on. */
struct cli_cmd_desc {
    const char *name;
    const char *usage;  /* "[command options] <container-id>" */
    const char *desc;
    int min_args, max_args;
};
bool cli_cmd_begin(struct cli_ctx *c, const struct cli_cmd_desc *d, const struct cli_parse *p,
                   int argc, char **argv, char ***positional, int *status);

/* A command with no options whose one argument is the container id, handed to fn (start,
 * pause, resume). */
typedef int (*cli_id_fn)(const struct vse_runtime *rt, const char *id, struct vse_err *err);
int cli_id_command(struct cli_ctx *c, const struct cli_cmd_desc *d, cli_id_fn fn, int argc,
                   char **argv);

#endif
