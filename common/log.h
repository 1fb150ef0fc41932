/* Logging sink handed down from the caller (cli/ owns the file and the format). Library code
 * never writes to stderr itself: it calls vse_log(), which is a no-op with no sink. */
#ifndef VSE_COMMON_LOG_H
#define VSE_COMMON_LOG_H

enum vse_log_level { VSE_LOG_ERROR = 0, VSE_LOG_WARN = 1, VSE_LOG_INFO = 2, VSE_LOG_DEBUG = 3 };

struct vse_logger {
    void (*write)(void *data, enum vse_log_level level, const char *msg);
    void *data;
    enum vse_log_level max_level; /* messages above this level are dropped */
};

void vse_log(const struct vse_logger *log, enum vse_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
