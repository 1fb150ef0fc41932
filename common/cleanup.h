/* Scope-bound cleanup helpers: a local declared with one of these is released when it goes out
 * of scope, so early returns never leak. steal_ptr()/steal_fd() hand ownership out. */
#ifndef VSE_COMMON_CLEANUP_H
#define VSE_COMMON_CLEANUP_H

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static inline void vse_freep(void *p)
{
    free(*(void **) p);
}

static inline void vse_closep(int *fd)
{
    if (*fd >= 0) {
        int saved = errno;
        close(*fd);
        errno = saved;
    }
}

static inline void vse_fclosep(FILE **f)
{
    if (*f)
        fclose(*f);
}

static inline void vse_closedirp(DIR **d)
{
    if (*d)
        closedir(*d);
}

/* Frees a NULL-terminated array of strings and the array itself. */
void vse_strv_free(char **strv);

static inline void vse_strv_freep(char ***strv)
{
    vse_strv_free(*strv);
}

#define _cleanup_free_ __attribute__((cleanup(vse_freep)))
#define _cleanup_close_ __attribute__((cleanup(vse_closep)))
#define _cleanup_fclose_ __attribute__((cleanup(vse_fclosep)))
#define _cleanup_closedir_ __attribute__((cleanup(vse_closedirp)))
#define _cleanup_strv_ __attribute__((cleanup(vse_strv_freep)))

#define steal_ptr(p)                                                                              \
    ({                                                                                            \
        __typeof__(p) stolen_ = (p);                                                              \
        (p) = NULL;                                                                               \
        stolen_;                                                                                  \
    })

static inline int steal_fd(int *fd)
{
    int ret = *fd;
    *fd = -1;
    return ret;
}

#endif
