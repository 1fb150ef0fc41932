/* The one error convention of vse.
 *
 * Every fallible function returns 0 on success or a negative errno-style code, and fills the
 * `struct vse_err` passed as its last argument with a message that says what failed and where
 * ("mounts[3].destination: ..."). Callers add context as the error travels up with
 * vse_err_prefix(); only cli/ prints it. */
#ifndef VSE_COMMON_ERROR_H
#define VSE_COMMON_ERROR_H

#include <stdarg.h>
#include <stddef.h>

#define VSE_ERR_MSG_MAX 2048

struct vse_err {
    int code;                     /* positive errno value; 0 when no error is recorded */
    char msg[VSE_ERR_MSG_MAX];
};

/* Records an error with a formatted message and returns -code (code is a positive errno). */
int vse_fail(struct vse_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Like vse_fail with the current errno; appends ": <strerror(errno)>" to the message. */
int vse_fail_errno(struct vse_err *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Like vse_fail_errno with an explicit errno value (positive or negative). */
int vse_fail_code(struct vse_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Puts "<context>: " in front of the message already recorded; returns -err->code so it can
 * be used as `return vse_err_prefix(err, "mounts[%zu]", i);`. */
int vse_err_prefix(struct vse_err *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Forgets a recorded error (for callers that handle it and go on). */
void vse_err_clear(struct vse_err *err);

#endif
