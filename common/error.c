#include "common/error.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static int record(struct vse_err *err, int code, const char *fmt, va_list ap, int with_strerror)
{
    if (code < 0)
        code = -code;
    if (code == 0)
        code = EINVAL;
    if (err == NULL)
        return -code;
    err->code = code;
    int n = vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    if (with_strerror && n >= 0 && (size_t) n < sizeof(err->msg))
        snprintf(err->msg + n, sizeof(err->msg) - (size_t) n, ": %s", strerror(code));
    return -code;
}

int vse_fail(struct vse_err *err, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int ret = record(err, code, fmt, ap, 0);
    va_end(ap);
    return ret;
}

int vse_fail_errno(struct vse_err *err, const char *fmt, ...)
{
    int saved = errno;
    va_list ap;
    va_start(ap, fmt);
    int ret = record(err, saved, fmt, ap, 1);
    va_end(ap);
    errno = saved;
    return ret;
}

int vse_fail_code(struct vse_err *err, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int ret = record(err, code, fmt, ap, 1);
    va_end(ap);
    return ret;
}

int vse_err_prefix(struct vse_err *err, const char *fmt, ...)
{
    if (err == NULL)
        return -EINVAL;
    if (err->code == 0)
        err->code = EINVAL;
    char prefix[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof(prefix), fmt, ap);
    va_end(ap);
    char old[VSE_ERR_MSG_MAX];
    memcpy(old, err->msg, sizeof(old));
    int n = snprintf(err->msg, sizeof(err->msg), "%s: ", prefix);
    if (n >= 0 && (size_t) n < sizeof(err->msg))
        snprintf(err->msg + n, sizeof(err->msg) - (size_t) n, "%s", old);
    return -err->code;
}

void vse_err_clear(struct vse_err *err)
{
    if (err) {
        err->code = 0;
        err->msg[0] = '\0';
    }
}
