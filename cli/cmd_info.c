/* state, list, ps, events, features, spec: the commands that print. */
#include "cli/cli.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "json/json.h"
#include "spec/spec.h"

extern char **environ;

static void container_info_cleanup(struct container_info *ci)
{
    container_info_free(ci);
}

int cmd_state(struct cli_ctx *c, int argc, char **argv)
{
    static const struct cli_cmd_desc d = {
        "state", "<container-id>", "Output the state of a container as JSON.", 1, 1};
    _cleanup_strv_ char **pos = NULL;
    int status;
    if (!cli_cmd_begin(c, &d, NULL, argc, argv, &pos, &status))
        return status;
    struct vse_err err = {0};
    __attribute__((cleanup(container_info_cleanup))) struct container_info ci = {0};
    if (runtime_state(&c->rt, pos[0], &ci, &err) < 0)
        return cli_error_err(c, &err);
    _cleanup_free_ char *json = runtime_state_json(&ci);
    if (json == NULL)
        return cli_error(c, "%s: cannot encode the state", pos[0]);
    printf("%s\n", json);
    return 0;
}

/* ---- list ---- */
enum { O_FORMAT, O_QUIET };

struct list_flags {
    bool json;
    bool quiet;
};

static int parse_format(const char *value, bool *json, struct vse_err *err)
{
    if (strcmp(value, "json") == 0)
        *json = true;
    else if (strcmp(value, "table") == 0)
        *json = false;
    else
        return vse_fail(err, EINVAL, "invalid format option \"%s\" (table or json)", value);
    return 0;
}

static int set_list(void *data, int id, const char *value, struct vse_err *err)
{
    struct list_flags *f = data;
    if (id == O_FORMAT)
        return parse_format(value, &f->json, err);
    return cli_flag_bool(value, &f->quiet, err);
}

struct info_list {
    struct container_info *items;
    size_t n;
};

static void info_list_cleanup(struct info_list *l)
{
    container_info_list_free(l->items, l->n);
}

/* runc lays the table out with Go's tabwriter (min width 12, padding 3); so does vse, so
 * scripts that cut columns keep working. */
static size_t col_width(size_t len)
{
    return len + 3 > 12 ? len + 3 : 12;
}

static void print_list_table(const struct info_list *l)
{
    enum { NCOL = 5 };
    static const char *head[NCOL] = {"ID", "PID", "STATUS", "BUNDLE", "CREATED"};
    size_t w[NCOL];
    for (int k = 0; k < NCOL; k++)
        w[k] = col_width(strlen(head[k]));
    char pid[32];
    for (size_t i = 0; i < l->n; i++) {
        const struct container_info *ci = &l->items[i];
        snprintf(pid, sizeof(pid), "%d", (int) ci->pid);
        const char *cells[NCOL] = {ci->id, pid, container_status_name(ci->status),
                                   ci->bundle ? ci->bundle : "", ci->created ? ci->created : ""};
        for (int k = 0; k < NCOL; k++)
            if (col_width(strlen(cells[k])) > w[k])
                w[k] = col_width(strlen(cells[k]));
    }
    printf("%-*s%-*s%-*s%-*s%-*sOWNER\n", (int) w[0], head[0], (int) w[1], head[1],
           (int) w[2], head[2], (int) w[3], head[3], (int) w[4], head[4]);
    for (size_t i = 0; i < l->n; i++) {
        const struct container_info *ci = &l->items[i];
        printf("%-*s%-*d%-*s%-*s%-*s%s\n", (int) w[0], ci->id, (int) w[1], (int) ci->pid,
               (int) w[2], container_status_name(ci->status), (int) w[3],
               ci->bundle ? ci->bundle : "", (int) w[4], ci->created ? ci->created : "",
               ci->owner ? ci->owner : "");
    }
}

/* The list in JSON is an array of the same objects `vse state` prints. */
static int print_list_json(const struct info_list *l, struct vse_err *err)
{
    _cleanup_json_writer_ json_writer *w = json_writer_new(false);
    json_w_array_begin(w);
    for (size_t i = 0; i < l->n; i++) {
        _cleanup_free_ char *text = runtime_state_json(&l->items[i]);
        _cleanup_json_ json_node *node = NULL;
        if (text == NULL)
            return vse_fail(err, EINVAL, "%s: cannot encode the state", l->items[i].id);
        int r = json_parse(text, &node, err);
        if (r < 0)
            return vse_err_prefix(err, "%s: state", l->items[i].id);
        json_w_node(w, node);
    }
    json_w_array_end(w);
    printf("%s\n", json_writer_text(w, NULL));
    return 0;
}

int cmd_list(struct cli_ctx *c, int argc, char **argv)
{
    static const struct cli_cmd_desc d = {
        "list", "[command options]",
        "List containers started by vse with the given root (global --root).", 0, 0};
    static const struct cli_opt opts[] = {
        {"format", 'f', true, O_FORMAT, "select one of: table or json (default: \"table\")"},
        {"quiet", 'q', false, O_QUIET, "display only container IDs"},
        {0}};
    struct list_flags f = {0};
    const struct cli_parse p = {.opts = opts, .set = set_list, .data = &f};
    _cleanup_strv_ char **pos = NULL;
    int status;
    if (!cli_cmd_begin(c, &d, &p, argc, argv, &pos, &status))
        return status;
    struct vse_err err = {0};
    __attribute__((cleanup(info_list_cleanup))) struct info_list l = {0};
    if (runtime_list(&c->rt, &l.items, &l.n, &err) < 0)
        return cli_error_err(c, &err);
    if (f.quiet) {
        for (size_t i = 0; i < l.n; i++)
            printf("%s\n", l.items[i].id);
        return 0;
    }
    if (!f.json) {
        print_list_table(&l);
        return 0;
    }
    if (print_list_json(&l, &err) < 0)
        return cli_error_err(c, &err);
    return 0;
}

/* ---- ps ---- */
static void print_pids_json(const pid_t *pids, size_t n)
{
    _cleanup_json_writer_ json_writer *w = json_writer_new(false);
    json_w_array_begin(w);
    for (size_t i = 0; i < n; i++)
        json_w_int(w, pids[i]);
    json_w_array_end(w);
    printf("%s\n", json_writer_text(w, NULL));
}

/* Reads a pipe to its end into a NUL-terminated buffer. */
static int read_all(int fd, char **out, struct vse_err *err)
{
    size_t len = 0, cap = 4096;
    _cleanup_free_ char *buf = vse_zalloc(cap);
    for (;;) {
        if (cap - len < 1024) {
            cap *= 2;
            buf = vse_reallocarray(buf, cap, 1);
        }
        ssize_t n = read(fd, buf + len, cap - len - 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return vse_fail_errno(err, "read ps output");
        if (n == 0)
            break;
        len += (size_t) n;
    }
    buf[len] = '\0';
    *out = steal_ptr(buf);
    return 0;
}

/* Runs `ps ARGS...` and returns its whole stdout. */
static int run_ps(char **ps_args, char **out, struct vse_err *err)
{
    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) < 0)
        return vse_fail_errno(err, "pipe");
    _cleanup_close_ int rd = pipefd[0];
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, pipefd[1], STDOUT_FILENO);
    _cleanup_strv_ char **argv = NULL;
    vse_strv_push(&argv, "ps");
    for (char **a = ps_args; a && *a; a++)
        vse_strv_push(&argv, *a);
    pid_t pid;
    int r = posix_spawnp(&pid, "ps", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(pipefd[1]);
    if (r != 0)
        return vse_fail_code(err, r, "exec ps");
    r = read_all(rd, out, err);
    int wstatus = 0;
    waitpid(pid, &wstatus, 0);
    if (r < 0)
        return r;
    if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0)
        return vse_fail(err, EIO, "ps failed: %s", *out);
    return 0;
}

static bool pid_in(pid_t pid, const pid_t *pids, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (pids[i] == pid)
            return true;
    return false;
}

/* Index of the whitespace-separated field named "PID" in ps's header, -1 if missing. */
static int pid_column(const char *header)
{
    _cleanup_free_ char *copy = vse_strdup(header);
    char *save = NULL;
    int idx = 0;
    for (char *t = strtok_r(copy, " \t", &save); t; t = strtok_r(NULL, " \t", &save), idx++)
        if (strcmp(t, "PID") == 0)
            return idx;
    return -1;
}

static pid_t field_pid(const char *line, int col)
{
    _cleanup_free_ char *copy = vse_strdup(line);
    char *save = NULL;
    int idx = 0;
    for (char *t = strtok_r(copy, " \t", &save); t; t = strtok_r(NULL, " \t", &save), idx++) {
        int64_t v;
        if (idx == col)
            return vse_parse_int64(t, &v) == 0 ? (pid_t) v : -1;
    }
    return -1;
}

/* Like runc: run ps on the host and keep the header plus the lines of the container's pids. */
static int print_pids_table(char **ps_args, const pid_t *pids, size_t n, struct vse_err *err)
{
    char *default_args[] = {(char *) "-ef", NULL};
    _cleanup_free_ char *out = NULL;
    int r = run_ps(ps_args && *ps_args ? ps_args : default_args, &out, err);
    if (r < 0)
        return r;
    char *save = NULL;
    char *header = strtok_r(out, "\n", &save);
    int col = header ? pid_column(header) : -1;
    if (col < 0)
        return vse_fail(err, EINVAL, "couldn't find PID field in ps output");
    printf("%s\n", header);
    for (char *line = strtok_r(NULL, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
        if (pid_in(field_pid(line, col), pids, n))
            printf("%s\n", line);
    return 0;
}

int cmd_ps(struct cli_ctx *c, int argc, char **argv)
{
    static const struct cli_cmd_desc d = {
        "ps", "[command options] <container-id> [ps options]",
        "Display the processes running inside a container (host pids; json: an array of "
        "pids).", 1, -1};
    static const struct cli_opt opts[] = {
        {"format", 'f', true, O_FORMAT, "select one of: table or json (default: \"table\")"},
        {0}};
    struct list_flags f = {0};
    const struct cli_parse p = {
        .opts = opts, .set = set_list, .data = &f, .stop_at_positional = true};
    _cleanup_strv_ char **pos = NULL;
    int status;
    if (!cli_cmd_begin(c, &d, &p, argc, argv, &pos, &status))
        return status;
    struct vse_err err = {0};
    _cleanup_free_ pid_t *pids = NULL;
    size_t n = 0;
    if (runtime_ps(&c->rt, pos[0], &pids, &n, &err) < 0)
        return cli_error_err(c, &err);
    if (f.json) {
        if (pos[1])
            return cli_error(c, "ps options cannot be used with --format json");
        print_pids_json(pids, n);
        return 0;
    }
    char **ps_args = pos + 1;
    if (*ps_args && strcmp(*ps_args, "--") == 0)
        ps_args++;
    if (print_pids_table(ps_args, pids, n, &err) < 0)
        return cli_error_err(c, &err);
    return 0;
}

/* ---- events ---- */
enum { O_STATS, O_INTERVAL };

struct events_flags {
    bool stats;
    uint64_t interval_ms;
};

static int set_events(void *data, int id, const char *value, struct vse_err *err)
{
    struct events_flags *f = data;
    if (id == O_STATS)
        return cli_flag_bool(value, &f->stats, err);
    if (cli_parse_duration_ms(value, &f->interval_ms) < 0 || f->interval_ms == 0)
        return vse_fail(err, EINVAL, "invalid value \"%s\" for flag -interval: a duration "
                                     "like 5s or 500ms", value);
    return 0;
}

static void emit_line(void *data, const char *json_line)
{
    (void) data;
    printf("%s\n", json_line);
    fflush(stdout);
}

int cmd_events(struct cli_ctx *c, int argc, char **argv)
{
    static const struct cli_cmd_desc d = {
        "events", "[command options] <container-id>",
        "Display container events (OOM notifications, and cpu, memory, pids and IO stats "
        "every interval) as JSON lines.", 1, 1};
    static const struct cli_opt opts[] = {
        {"interval", 0, true, O_INTERVAL, "set the stats collection interval (default: 5s)"},
        {"stats", 0, false, O_STATS, "display the container's stats then exit"},
        {0}};
    struct events_flags f = {.interval_ms = 5000};
    const struct cli_parse p = {.opts = opts, .set = set_events, .data = &f};
    _cleanup_strv_ char **pos = NULL;
    int status;
    if (!cli_cmd_begin(c, &d, &p, argc, argv, &pos, &status))
        return status;
    struct vse_err err = {0};
    unsigned interval = f.interval_ms > UINT32_MAX ? UINT32_MAX : (unsigned) f.interval_ms;
    if (runtime_events(&c->rt, pos[0], f.stats, interval, emit_line, NULL, &err) < 0)
        return cli_error_err(c, &err);
    return 0;
}

/* ---- features, spec ---- */
int cmd_features(struct cli_ctx *c, int argc, char **argv)
{
    static const struct cli_cmd_desc d = {
        "features", "", "Show the enabled features (runtime-spec features.md JSON).", 0, 0};
    _cleanup_strv_ char **pos = NULL;
    int status;
    if (!cli_cmd_begin(c, &d, NULL, argc, argv, &pos, &status))
        return status;
    _cleanup_free_ char *json = spec_features_json();
    if (json == NULL)
        return cli_error(c, "cannot encode the features");
    printf("%s\n", json);
    return 0;
}

enum { O_SPEC_BUNDLE, O_SPEC_ROOTLESS };

struct spec_flags {
    const char *bundle;
    bool rootless;
};

static int set_spec(void *data, int id, const char *value, struct vse_err *err)
{
    struct spec_flags *f = data;
    if (id == O_SPEC_BUNDLE) {
        f->bundle = value;
        return 0;
    }
    return cli_flag_bool(value, &f->rootless, err);
}

/* Writes <bundle>/config.json, never over an existing one. */
static int write_spec(const char *bundle, const char *json, struct vse_err *err)
{
    _cleanup_close_ int dirfd = open(bundle, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0)
        return vse_fail_errno(err, "bundle %s", bundle);
    _cleanup_close_ int fd = openat(dirfd, "config.json",
                                    O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0666);
    if (fd < 0 && (errno == EEXIST || errno == ELOOP))
        return vse_fail(err, EEXIST, "File config.json exists. Remove it first");
    if (fd < 0)
        return vse_fail_errno(err, "%s/config.json", bundle);
    size_t len = strlen(json);
    for (size_t off = 0; off < len;) {
        ssize_t n = write(fd, json + off, len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return vse_fail_errno(err, "write %s/config.json", bundle);
        off += (size_t) n;
    }
    if (write(fd, "\n", 1) != 1)
        return vse_fail_errno(err, "write %s/config.json", bundle);
    return 0;
}

int cmd_spec(struct cli_ctx *c, int argc, char **argv)
{
    static const struct cli_cmd_desc d = {
        "spec", "[command options]",
        "Create a new specification file (config.json) in the bundle directory; edit it, "
        "put a root filesystem in <bundle>/rootfs, then `vse run`.", 0, 0};
    static const struct cli_opt opts[] = {
        {"bundle", 'b', true, O_SPEC_BUNDLE, "path to the root of the bundle directory"},
        {"rootless", 0, false, O_SPEC_ROOTLESS, "generate a configuration for a rootless "
                                                "container"},
        {0}};
    struct spec_flags f = {.bundle = "."};
    const struct cli_parse p = {.opts = opts, .set = set_spec, .data = &f};
    _cleanup_strv_ char **pos = NULL;
    int status;
    if (!cli_cmd_begin(c, &d, &p, argc, argv, &pos, &status))
        return status;
    _cleanup_free_ char *json = spec_default_json(f.rootless);
    if (json == NULL)
        return cli_error(c, "cannot generate the default spec");
    struct vse_err err = {0};
    if (write_spec(f.bundle, json, &err) < 0)
        return cli_error_err(c, &err);
    return 0;
}
