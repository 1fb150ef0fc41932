/* fs_io.c: cgroup file reads and writes whose errors name the resource and the file. */
#include "cgroups/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"

static int write_once(const char *path, const char *value)
{
    _cleanup_close_ int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    size_t len = strlen(value);
    ssize_t n;
    do
        n = write(fd, value, len);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return -errno;
    return (size_t) n == len ? 0 : -EIO;
}

int cg_write(const struct cg_hier *h, const char *field, const char *file, const char *value,
             struct vse_err *err)
{
    _cleanup_free_ char *path = vse_asprintf("%s/%s", h->path, file);
    int ret = write_once(path, value);
    if (ret < 0)
        return vse_fail_code(err, ret, "%s: %s", field, path);
    return 0;
}

int cg_writef(const struct cg_hier *h, const char *field, const char *file,
              struct vse_err *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    _cleanup_free_ char *value = NULL;
    int n = vasprintf(&value, fmt, ap);
    va_end(ap);
    if (n < 0)
        return vse_fail(err, ENOMEM, "%s: out of memory", field);
    return cg_write(h, field, file, value, err);
}

int cg_read(const struct cg_hier *h, const char *file, char **out, struct vse_err *err)
{
    _cleanup_free_ char *path = vse_asprintf("%s/%s", h->path, file);
    struct vse_err e = {0};
    int ret = vse_read_file_at(AT_FDCWD, path, out, NULL, &e);
    if (ret < 0)
        return vse_fail_code(err, ret, "%s", path);
    return 0;
}

int cg_read_u64(const struct cg_hier *h, const char *file, uint64_t *out, struct vse_err *err)
{
    _cleanup_free_ char *text = NULL;
    int ret = cg_read(h, file, &text, err);
    if (ret < 0)
        return ret;
    text[strcspn(text, "\n")] = '\0';
    if (strcmp(text, "max") == 0) {
        *out = UINT64_MAX;
        return 0;
    }
    /* v1 reports "unlimited" as a huge (page rounded) number, which fits too. */
    ret = vse_parse_uint64(text, out);
    if (ret < 0)
        return vse_fail(err, EINVAL, "%s/%s: not a number: \"%s\"", h->path, file, text);
    return 0;
}

int cg_read_keyed(const struct cg_hier *h, const char *file, const char *key, uint64_t *out,
                  struct vse_err *err)
{
    _cleanup_free_ char *text = NULL;
    int ret = cg_read(h, file, &text, err);
    if (ret < 0)
        return ret;
    size_t klen = strlen(key);
    for (char *line = text; line && *line;) {
        char *next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        if (strncmp(line, key, klen) == 0 && line[klen] == ' ') {
            if (vse_parse_uint64(line + klen + 1, out) < 0)
                return vse_fail(err, EINVAL, "%s/%s: %s: not a number", h->path, file, key);
            return 0;
        }
        line = next;
    }
    return vse_fail(err, ENOENT, "%s/%s: no \"%s\" entry", h->path, file, key);
}

bool cg_file_exists(const struct cg_hier *h, const char *file)
{
    _cleanup_free_ char *path = vse_asprintf("%s/%s", h->path, file);
    return access(path, F_OK) == 0;
}

struct cg_hier *cg_find(struct cgroup_manager *m, enum cg_controller c)
{
    for (size_t i = 0; i < m->n; i++)
        if (!m->h[i].v2 && (m->h[i].ctrls & CG_BIT(c)))
            return &m->h[i];
    for (size_t i = 0; i < m->n; i++)
        if (m->h[i].v2 && (m->h[i].ctrls & CG_BIT(c)))
            return &m->h[i];
    return NULL;
}

struct cg_hier *cg_find_v2(struct cgroup_manager *m)
{
    for (size_t i = 0; i < m->n; i++)
        if (m->h[i].v2)
            return &m->h[i];
    return NULL;
}
