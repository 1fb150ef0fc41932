#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"

static void oom(void)
{
    fputs("vse: out of memory\n", stderr);
    abort();
}

void vse_strv_free(char **strv)
{
    if (strv == NULL)
        return;
    for (char **p = strv; *p; p++)
        free(*p);
    free(strv);
}

char *vse_strdup(const char *s)
{
    if (s == NULL)
        return NULL;
    char *r = strdup(s);
    if (r == NULL)
        oom();
    return r;
}

char *vse_strndup(const char *s, size_t n)
{
    char *r = strndup(s, n);
    if (r == NULL)
        oom();
    return r;
}

char *vse_asprintf(const char *fmt, ...)
{
    char *r = NULL;
    va_list ap;
    va_start(ap, fmt);
    int n = vasprintf(&r, fmt, ap);
    va_end(ap);
    if (n < 0)
        oom();
    return r;
}

void *vse_zalloc(size_t size)
{
    void *r = calloc(1, size ? size : 1);
    if (r == NULL)
        oom();
    return r;
}

void *vse_reallocarray(void *ptr, size_t nmemb, size_t size)
{
    void *r = reallocarray(ptr, nmemb ? nmemb : 1, size ? size : 1);
    if (r == NULL)
        oom();
    return r;
}

size_t vse_strv_len(char *const *strv)
{
    size_t n = 0;
    while (strv && strv[n])
        n++;
    return n;
}

char **vse_strv_dup(char *const *strv)
{
    if (strv == NULL)
        return NULL;
    size_t n = vse_strv_len(strv);
    char **r = vse_zalloc((n + 1) * sizeof(char *));
    for (size_t i = 0; i < n; i++)
        r[i] = vse_strdup(strv[i]);
    return r;
}

void vse_strv_push(char ***strv, const char *s)
{
    size_t n = vse_strv_len(*strv);
    char **r = vse_reallocarray(*strv, n + 2, sizeof(char *));
    r[n] = vse_strdup(s);
    r[n + 1] = NULL;
    *strv = r;
}

bool vse_strv_contains(char *const *strv, const char *s)
{
    for (size_t i = 0; strv && strv[i]; i++)
        if (strcmp(strv[i], s) == 0)
            return true;
    return false;
}

bool vse_str_has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

int vse_parse_int64(const char *s, int64_t *out)
{
    if (s == NULL || *s == '\0')
        return -EINVAL;
    char *end = NULL;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno == ERANGE)
        return -ERANGE;
    if (*end != '\0')
        return -EINVAL;
    *out = v;
    return 0;
}

int vse_parse_uint64(const char *s, uint64_t *out)
{
    if (s == NULL || *s == '\0' || *s == '-')
        return -EINVAL;
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno == ERANGE)
        return -ERANGE;
    if (*end != '\0')
        return -EINVAL;
    *out = v;
    return 0;
}

int vse_read_file_at(int dirfd, const char *path, char **out, size_t *len, struct vse_err *err)
{
    _cleanup_close_ int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return vse_fail_errno(err, "open %s", path);
    size_t cap = 4096, used = 0;
    _cleanup_free_ char *buf = vse_zalloc(cap);
    for (;;) {
        if (used + 1 >= cap) {
            cap *= 2;
            buf = vse_reallocarray(buf, cap, 1);
        }
        ssize_t n = read(fd, buf + used, cap - used - 1);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return vse_fail_errno(err, "read %s", path);
        }
        if (n == 0)
            break;
        used += (size_t) n;
    }
    buf[used] = '\0';
    if (len)
        *len = used;
    *out = steal_ptr(buf);
    return 0;
}

static int write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        buf += n;
        len -= (size_t) n;
    }
    return 0;
}

int vse_write_file_at(int dirfd, const char *path, const char *buf, size_t len,
                      struct vse_err *err)
{
    _cleanup_close_ int fd = openat(dirfd, path, O_WRONLY | O_TRUNC | O_CLOEXEC);
    if (fd < 0)
        return vse_fail_errno(err, "open %s", path);
    int ret = write_all(fd, buf, len);
    if (ret < 0)
        return vse_fail_code(err, ret, "write %s", path);
    return 0;
}

int vse_write_file_atomic(const char *path, const char *buf, size_t len, mode_t mode,
                          struct vse_err *err)
{
    _cleanup_free_ char *tmp = vse_asprintf("%s.tmp.%d", path, (int) getpid());
    _cleanup_close_ int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0)
        return vse_fail_errno(err, "create %s", tmp);
    int ret = write_all(fd, buf, len);
    if (ret < 0) {
        unlink(tmp);
        return vse_fail_code(err, ret, "write %s", tmp);
    }
    if (rename(tmp, path) < 0) {
        int saved = errno;
        unlink(tmp);
        errno = saved;
        return vse_fail_errno(err, "rename %s to %s", tmp, path);
    }
    return 0;
}

int vse_mkdir_p(const char *path, mode_t mode, struct vse_err *err)
{
    _cleanup_free_ char *copy = vse_strdup(path);
    for (char *p = copy + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(copy, mode) < 0 && errno != EEXIST)
            return vse_fail_errno(err, "mkdir %s", copy);
        *p = '/';
    }
    if (mkdir(copy, mode) < 0 && errno != EEXIST)
        return vse_fail_errno(err, "mkdir %s", copy);
    return 0;
}

static int rm_rf_at(int parent, const char *name, dev_t dev, struct vse_err *err)
{
    struct stat st;
    if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return errno == ENOENT ? 0 : vse_fail_errno(err, "stat %s", name);
    if (S_ISDIR(st.st_mode) && st.st_dev == dev) {
        int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
            return vse_fail_errno(err, "open %s", name);
        _cleanup_closedir_ DIR *d = fdopendir(fd);
        if (d == NULL) {
            close(fd);
            return vse_fail_errno(err, "opendir %s", name);
        }
        struct dirent *de;
        while ((de = readdir(d)) != NULL) {
            if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                continue;
            int ret = rm_rf_at(dirfd(d), de->d_name, dev, err);
            if (ret < 0)
                return vse_err_prefix(err, "%s", name);
        }
        if (unlinkat(parent, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
            return vse_fail_errno(err, "rmdir %s", name);
        return 0;
    }
    if (unlinkat(parent, name, 0) < 0 && errno != ENOENT)
        return vse_fail_errno(err, "unlink %s", name);
    return 0;
}

int vse_rm_rf(const char *path, struct vse_err *err)
{
    struct stat st;
    if (lstat(path, &st) < 0)
        return errno == ENOENT ? 0 : vse_fail_errno(err, "stat %s", path);
    return rm_rf_at(AT_FDCWD, path, st.st_dev, err);
}

/* Days since 1970-01-01 -> proleptic Gregorian year, month (1-12), day (1-31). Eras of 400
 * years (146097 days) repeat exactly; inside an era the year is counted from March, so the
 * leap day comes last and needs no special case. */
static void civil_from_days(int64_t days, int64_t *year, unsigned *month, unsigned *day)
{
    days += 719468; /* 0000-03-01 to 1970-01-01 */
    int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    unsigned doe = (unsigned) (days - era * 146097);                        /* [0, 146096] */
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;   /* [0, 399] */
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);                 /* [0, 365] */
    unsigned mp = (5 * doy + 2) / 153;                                      /* March = 0 */
    *day = doy - (153 * mp + 2) / 5 + 1;
    *month = mp < 10 ? mp + 3 : mp - 9;
    *year = (int64_t) yoe + era * 400 + (*month <= 2);
}

/* UTC by arithmetic: gmtime_r would make glibc load the time zone (/etc/localtime) first,
 * a file read on every container start for a value that never depends on it. */
void vse_rfc3339_format(int64_t secs, long nsec, char *buf, size_t len)
{
    int64_t days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
    unsigned sod = (unsigned) (secs - days * 86400);
    int64_t year;
    unsigned month, day;
    civil_from_days(days, &year, &month, &day);
    snprintf(buf, len, "%04lld-%02u-%02uT%02u:%02u:%02u.%09ldZ", (long long) year, month, day,
             sod / 3600, sod / 60 % 60, sod % 60, nsec);
}

void vse_rfc3339_now(char *buf, size_t len)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    vse_rfc3339_format(ts.tv_sec, ts.tv_nsec, buf, len);
}
