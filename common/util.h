/* Small helpers every module needs: whole-file I/O, atomic writes, directories, strings. */
#ifndef VSE_COMMON_UTIL_H
#define VSE_COMMON_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/error.h"

#define VSE_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Reads a whole file (relative to dirfd, or AT_FDCWD) into a NUL-terminated buffer. */
int vse_read_file_at(int dirfd, const char *path, char **out, size_t *len, struct vse_err *err);

/* Writes buf to an existing file (O_WRONLY|O_TRUNC|O_CLOEXEC), e.g. a /proc or cgroup file. */
int vse_write_file_at(int dirfd, const char *path, const char *buf, size_t len,
                      struct vse_err *err);

/* Writes a file atomically: a temp file in the same directory, fsync-free write, rename. */
int vse_write_file_atomic(const char *path, const char *buf, size_t len, mode_t mode,
                          struct vse_err *err);

/* mkdir -p; existing directories are fine. */
int vse_mkdir_p(const char *path, mode_t mode, struct vse_err *err);

/* Removes a directory tree (no symlinks followed, stays on one device). Missing is fine. */
int vse_rm_rf(const char *path, struct vse_err *err);

/* Safe string helpers: they abort on out-of-memory, as there is nothing better to do. */
char *vse_strdup(const char *s);
char *vse_strndup(const char *s, size_t n);
char *vse_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void *vse_zalloc(size_t size);
void *vse_reallocarray(void *ptr, size_t nmemb, size_t size);

size_t vse_strv_len(char *const *strv);
char **vse_strv_dup(char *const *strv);
/* Appends a copy of s; *strv may be NULL. */
void vse_strv_push(char ***strv, const char *s);
bool vse_strv_contains(char *const *strv, const char *s);

bool vse_str_has_prefix(const char *s, const char *prefix);

/* Parses a decimal integer, whole string, with range checks; -EINVAL / -ERANGE. */
int vse_parse_int64(const char *s, int64_t *out);
int vse_parse_uint64(const char *s, uint64_t *out);

/* Current wall clock as RFC 3339 with nanoseconds, UTC ("2026-11-25T17:57:47.123456789Z"). */
void vse_rfc3339_now(char *buf, size_t len);
/* The same for a given time (seconds since the epoch, nanoseconds), without the time zone
 * machinery of libc: gmtime_r would read /etc/localtime first. */
void vse_rfc3339_format(int64_t secs, long nsec, char *buf, size_t len);

#endif
