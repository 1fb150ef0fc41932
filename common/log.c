#include "common/log.h"

#include <stdarg.h>
#include <stdio.h>

void vse_log(const struct vse_logger *log, enum vse_log_level level, const char *fmt, ...)
{
    if (log == NULL || log->write == NULL || level > log->max_level)
        return;
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    log->write(log->data, level, msg);
}
