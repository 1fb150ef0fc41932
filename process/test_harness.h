/* A tiny harness for the process/ and security/ unit tests: every test runs in a forked child
 * (settings like setresuid or seccomp cannot be undone), exits 0 on pass, 77 on skip. */
#ifndef VSE_PROCESS_TEST_HARNESS_H
#define VSE_PROCESS_TEST_HARNESS_H

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHECK(cond, ...)                                                                          \
    do {                                                                                          \
        if (!(cond)) {                                                                            \
            fprintf(stderr, "    %s:%d: check failed: %s: ", __FILE__, __LINE__, #cond);        \
            fprintf(stderr, __VA_ARGS__);                                                         \
            fputc('\n', stderr);                                                                  \
            _exit(1);                                                                             \
        }                                                                                         \
    } while (0)

/* ret must be an error whose message contains every given substring. */
#define CHECK_ERR(ret, err, ...)                                                                  \
    do {                                                                                          \
        CHECK((ret) < 0, "expected an error, got %d", (ret));                                     \
        const char *subs_[] = {__VA_ARGS__};                                                      \
        for (size_t k_ = 0; k_ < sizeof(subs_) / sizeof(subs_[0]); k_++)                          \
            CHECK(strstr((err).msg, subs_[k_]) != NULL, "message \"%s\" lacks \"%s\"",         \
                  (err).msg, subs_[k_]);                                                          \
    } while (0)

#define SKIP(...)                                                                                 \
    do {                                                                                          \
        fprintf(stderr, "    skipped: ");                                                         \
        fprintf(stderr, __VA_ARGS__);                                                             \
        fputc('\n', stderr);                                                                      \
        _exit(77);                                                                                \
    } while (0)

struct test_counts {
    int passed, failed, skipped;
};

static inline void run_test(struct test_counts *c, const char *name, void (*fn)(void))
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        alarm(30);
        fn();
        _exit(0);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0)
        ;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        c->passed++;
        printf("ok      %s\n", name);
    } else if (WIFEXITED(status) && WEXITSTATUS(status) == 77) {
        c->skipped++;
        printf("skip    %s\n", name);
    } else {
        c->failed++;
        if (WIFSIGNALED(status))
            printf("FAIL    %s (signal %d)\n", name, WTERMSIG(status));
        else
            printf("FAIL    %s (exit %d)\n", name, WEXITSTATUS(status));
    }
    fflush(stdout);
}

static inline int test_summary(const struct test_counts *c)
{
    printf("%d passed, %d failed, %d skipped\n", c->passed, c->failed, c->skipped);
    return c->failed ? 1 : 0;
}

#define RUN(c, fn) run_test((c), #fn, fn)

#endif
