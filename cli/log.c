/* The --log sink: one line a message, in runc's formats, because containerd and CRI-O read the
 * last error line of this file when a command fails.
 *   json: {"level":"error","msg":"...","time":"2026-11-25T17:57:47.123456789Z"}
 *   text: time="2026-11-25T17:57:47.123456789Z" level=error msg="..." */
#include "cli/cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "json/json.h"

static const char *level_name(enum vse_log_level level)
{
    switch (level) {
    case VSE_LOG_ERROR:
        return "error";
    case VSE_LOG_WARN:
        return "warning";
    case VSE_LOG_INFO:
        return "info";
    case VSE_LOG_DEBUG:
        return "debug";
    }
    return "info";
}

/* Appends s to buf quoted like Go's %q: quotes, backslashes and control bytes escaped. */
static size_t append_quoted(char *buf, size_t size, size_t off, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; ; i++) {
        unsigned char ch = i == 0 ? '"' : (unsigned char) s[i - 1];
        if (i > 0 && ch == '\0')
            break;
        char esc[5] = {(char) ch, 0};
        if (i > 0 && (ch == '"' || ch == '\\'))
            snprintf(esc, sizeof(esc), "\\%c", ch);
        else if (ch == '\n')
            memcpy(esc, "\\n", 3);
        else if (ch == '\t')
            memcpy(esc, "\\t", 3);
        else if (ch < 0x20 || ch == 0x7f)
            snprintf(esc, sizeof(esc), "\\x%c%c", hex[ch >> 4], hex[ch & 15]);
        size_t n = strlen(esc);
        if (off + n + 2 >= size)
            break;
        memcpy(buf + off, esc, n);
        off += n;
    }
    buf[off++] = '"';
    buf[off] = '\0';
    return off;
}

static void format_text(char *buf, size_t size, const char *ts, const char *level,
                        const char *msg)
{
    int n = snprintf(buf, size, "time=\"%s\" level=%s msg=", ts, level);
    if (n < 0 || (size_t) n >= size - 4)
        return;
    size_t off = append_quoted(buf, size - 1, (size_t) n, msg);
    buf[off++] = '\n';
    buf[off] = '\0';
}

static char *format_json(const char *ts, const char *level, const char *msg)
{
    _cleanup_json_writer_ json_writer *w = json_writer_new(false);
    json_w_object_begin(w);
    json_w_kv_string(w, "level", level);
    json_w_kv_string(w, "msg", msg);
    json_w_kv_string(w, "time", ts);
    json_w_object_end(w);
    return vse_asprintf("%s\n", json_writer_text(w, NULL));
}

/* vse_logger.write: formats the whole line first and writes it with one fwrite + fflush, so
 * lines from the parent and its children never interleave mid-line. */
static void log_write(void *data, enum vse_log_level level, const char *msg)
{
    struct cli_log *l = data;
    char ts[64];
    vse_rfc3339_now(ts, sizeof(ts));
    if (l->json) {
        _cleanup_free_ char *line = format_json(ts, level_name(level), msg);
        fputs(line, l->file);
    } else {
        char line[VSE_ERR_MSG_MAX * 2 + 128];
        format_text(line, sizeof(line), ts, level_name(level), msg);
        fputs(line, l->file);
    }
    fflush(l->file);
}

int cli_log_open(struct cli_log *l, const char *path, bool json, bool debug, struct vse_err *err)
{
    *l = (struct cli_log){.file = stderr, .json = json};
    if (path && *path && strcmp(path, "/dev/stderr") != 0) {
        int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (fd < 0)
            return vse_fail_errno(err, "open log file %s", path);
        l->file = fdopen(fd, "a");
        if (l->file == NULL) {
            int saved = errno;
            close(fd);
            l->file = stderr;
            return vse_fail_code(err, saved, "fdopen log file %s", path);
        }
        l->owns_file = true;
    }
    l->logger = (struct vse_logger){
        .write = log_write, .data = l, .max_level = debug ? VSE_LOG_DEBUG : VSE_LOG_WARN};
    return 0;
}

void cli_log_close(struct cli_log *l)
{
    if (l->owns_file && l->file)
        fclose(l->file);
    l->file = stderr;
    l->owns_file = false;
}

static int report(struct cli_ctx *c, const char *msg)
{
    vse_log(&c->log->logger, VSE_LOG_ERROR, "%s", msg);
    if (c->log->owns_file) {
        fprintf(stderr, "%s\n", msg);
        fflush(stderr);
    }
    return 1;
}

int cli_error(struct cli_ctx *c, const char *fmt, ...)
{
    char msg[VSE_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return report(c, msg);
}

int cli_error_err(struct cli_ctx *c, const struct vse_err *err)
{
    if (err->msg[0] == '\0')
        return report(c, err->code ? strerror(err->code) : "unknown error");
    return report(c, err->msg);
}
