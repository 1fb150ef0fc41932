/* vse-seccomp-tool: test and measurement helper for the default seccomp profile.
 *   vse-seccomp-tool print [CAPS]   the profile JSON (linux.seccomp value); CAPS is a hex
 *                                   bounding-set mask (default: `vse spec`'s capabilities)
 *   vse-seccomp-tool check [CAPS]   parses the profile with vse's parser and compiles it
 *   vse-seccomp-tool bench [N]      medians of N runs of each step of the seccomp path, from
 *                                   writing the JSON to loading the filter in a child
 * Not installed; tests/integration/test_default_seccomp.py and docs/security.md use it. */
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "json/json.h"
#include "security/security.h"
#include "spec/default_seccomp.h"
#include "spec/spec.h"

#define MAX_RUNS 1000

static char *profile_json(bool have_caps, uint64_t caps)
{
    _cleanup_json_writer_ json_writer *w = json_writer_new(true);
    if (have_caps)
        spec_write_default_seccomp_caps(w, caps);
    else
        spec_write_default_seccomp(w);
    return vse_strdup(json_writer_text(w, NULL));
}

/* A minimal config around the profile, so the real parser reads it. */
static char *config_json(const char *profile)
{
    return vse_asprintf("{\"ociVersion\": \"1.2.0\", \"root\": {\"path\": \"rootfs\"}, \"linux\": {\"seccomp\": %s}}", profile);
}

static int parse_and_compile(const char *profile, struct spec **s,
                             struct security_seccomp **f, struct vse_err *err)
{
    _cleanup_free_ char *cfg = config_json(profile);
    int ret = spec_parse(cfg, s, err);
    if (ret < 0)
        return ret;
    return security_seccomp_compile((*s)->linux_->seccomp, NULL, f, err);
}

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec * 1e6 + (double) ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t) n, sizeof(double), cmp_double);
    return v[n / 2];
}

/* Runs fn in a fresh child (a loaded filter cannot be removed) and returns its time in us. */
static double time_in_child(int (*fn)(void *), void *data)
{
    int pfd[2];
    if (pipe(pfd) < 0)
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        close(pfd[0]);
        double t0 = now_us();
        int ok = fn(data) == 0;
        double dt = ok ? now_us() - t0 : -1;
        if (write(pfd[1], &dt, sizeof(dt)) != sizeof(dt))
            _exit(2);
        _exit(0);
    }
    close(pfd[1]);
    double dt = -1;
    if (read(pfd[0], &dt, sizeof(dt)) != sizeof(dt))
        dt = -1;
    close(pfd[0]);
    waitpid(pid, NULL, 0);
    return dt;
}

/* The whole libseccomp path of the container init: parse, compile, load. */
static int load_via_libseccomp(void *data)
{
    _cleanup_spec_ struct spec *s = NULL;
    _cleanup_seccomp_ struct security_seccomp *f = NULL;
    struct vse_err err = {0};
    if (parse_and_compile(data, &s, &f, &err) < 0)
        return -1;
    return security_seccomp_load(f, NULL, &err);
}

struct raw_bpf {
    struct sock_filter *insns;
    unsigned short len;
};

/* What a cache hit would do: one syscall with the already generated program. */
static int load_raw(void *data)
{
    struct raw_bpf *b = data;
    struct sock_fprog prog = {.len = b->len, .filter = b->insns};
    return (int) syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
}

static int export_raw(struct security_seccomp *f, struct raw_bpf *out, struct vse_err *err)
{
    _cleanup_close_ int fd = memfd_create("vse-bpf", MFD_CLOEXEC);
    if (fd < 0)
        return vse_fail_errno(err, "memfd_create");
    int ret = security_seccomp_export_bpf(f, fd, err);
    if (ret < 0)
        return ret;
    struct stat st;
    if (fstat(fd, &st) < 0)
        return vse_fail_errno(err, "fstat");
    out->insns = vse_zalloc((size_t) st.st_size);
    if (pread(fd, out->insns, (size_t) st.st_size, 0) != st.st_size)
        return vse_fail_errno(err, "pread");
    out->len = (unsigned short) (st.st_size / (off_t) sizeof(struct sock_filter));
    return 0;
}

/* The cache-hit path of the init: canonical key, file lookup, and (in a child) the raw load. */
struct cache_bench {
    const struct spec_seccomp *sc;
    int dirfd;
};

static int compile_hit_and_load(void *data)
{
    struct cache_bench *b = data;
    struct security_seccomp_opts o = {.cache_dirfd = b->dirfd};
    _cleanup_seccomp_ struct security_seccomp *f = NULL;
    struct vse_err err = {0};
    if (security_seccomp_compile_opts(b->sc, &o, NULL, &f, &err) < 0)
        return -1;
    return security_seccomp_load(f, NULL, &err);
}

static int bench_cache(const char *profile, int runs, struct vse_err *err)
{
    static double t_hit[MAX_RUNS], t_hit_load[MAX_RUNS];
    char root[] = "/tmp/vse-seccomp-bench-XXXXXX";
    if (mkdtemp(root) == NULL)
        return vse_fail_errno(err, "mkdtemp");
    _cleanup_free_ char *cfg = config_json(profile);
    _cleanup_spec_ struct spec *s = NULL;
    int ret = spec_parse(cfg, &s, err);
    _cleanup_close_ int dirfd = ret < 0 ? -1 : security_seccomp_cache_open(root, NULL);
    struct cache_bench b = {.sc = s ? s->linux_->seccomp : NULL, .dirfd = dirfd};
    for (int i = 0; ret == 0 && dirfd >= 0 && i <= runs; i++) {
        _cleanup_seccomp_ struct security_seccomp *f = NULL;
        struct security_seccomp_opts o = {.cache_dirfd = dirfd};
        double t0 = now_us();
        ret = security_seccomp_compile_opts(b.sc, &o, NULL, &f, err);
        if (i == 0) /* the first one stores */
            continue;
        t_hit[i - 1] = now_us() - t0;
        t_hit_load[i - 1] = time_in_child(compile_hit_and_load, &b);
        if (t_hit_load[i - 1] < 0)
            ret = vse_fail(err, EPERM, "loading the cached filter in a child failed");
    }
    vse_rm_rf(root, &(struct vse_err){0});
    if (ret < 0)
        return ret;
    if (dirfd < 0)
        return vse_fail(err, EACCES, "no cache directory in %s", root);
    printf("median us: cache hit (key+lookup) %.1f  cache hit + raw load, in a child %.1f\n",
           median(t_hit, runs), median(t_hit_load, runs));
    return 0;
}

static int bench(int runs)
{
    static double t_write[MAX_RUNS], t_parse[MAX_RUNS], t_compile[MAX_RUNS], t_export[MAX_RUNS],
        t_lib_load[MAX_RUNS], t_raw_load[MAX_RUNS];
    struct vse_err err = {0};
    _cleanup_free_ char *profile = NULL;
    struct raw_bpf raw = {0};
    for (int i = 0; i < runs; i++) {
        double t0 = now_us();
        free(profile);
        profile = profile_json(false, 0);
        double t1 = now_us();
        _cleanup_free_ char *cfg = config_json(profile);
        _cleanup_spec_ struct spec *s = NULL;
        double t2 = now_us();
        if (spec_parse(cfg, &s, &err) < 0)
            goto fail;
        double t3 = now_us();
        _cleanup_seccomp_ struct security_seccomp *f = NULL;
        if (security_seccomp_compile(s->linux_->seccomp, NULL, &f, &err) < 0)
            goto fail;
        double t4 = now_us();
        free(raw.insns);
        if (export_raw(f, &raw, &err) < 0)
            goto fail;
        double t5 = now_us();
        t_write[i] = t1 - t0;
        t_parse[i] = t3 - t2;
        t_compile[i] = t4 - t3;
        t_export[i] = t5 - t4;
        t_lib_load[i] = time_in_child(load_via_libseccomp, profile);
        t_raw_load[i] = time_in_child(load_raw, &raw);
        if (t_lib_load[i] < 0 || t_raw_load[i] < 0) {
            vse_fail(&err, EPERM, "loading the filter in a child failed");
            goto fail;
        }
    }
    printf("runs: %d\nbpf instructions: %u\nprofile json bytes: %zu\n", runs, raw.len,
           strlen(profile));
    printf("median us: write_json %.1f  parse %.1f  compile(rules) %.1f  gen_bpf(export) %.1f\n",
           median(t_write, runs), median(t_parse, runs), median(t_compile, runs),
           median(t_export, runs));
    printf("median us: parse+compile+seccomp_load %.1f  raw seccomp(SET_MODE_FILTER) %.1f\n",
           median(t_lib_load, runs), median(t_raw_load, runs));
    free(raw.insns);
    if (bench_cache(profile, runs, &err) < 0) {
        fprintf(stderr, "bench: %s\n", err.msg);
        return 1;
    }
    return 0;
fail:
    free(raw.insns);
    fprintf(stderr, "bench: %s\n", err.msg);
    return 1;
}

static bool parse_caps(int argc, char **argv, uint64_t *caps)
{
    if (argc < 3)
        return false;
    *caps = strtoull(argv[2], NULL, 16);
    return true;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs("usage: vse-seccomp-tool print|check [CAPS-HEX] | bench [N]\n", stderr);
        return 2;
    }
    uint64_t caps = 0;
    bool have_caps = parse_caps(argc, argv, &caps);
    if (strcmp(argv[1], "print") == 0) {
        _cleanup_free_ char *p = profile_json(have_caps, caps);
        puts(p);
        return 0;
    }
    if (strcmp(argv[1], "check") == 0) {
        _cleanup_free_ char *p = profile_json(have_caps, caps);
        _cleanup_spec_ struct spec *s = NULL;
        _cleanup_seccomp_ struct security_seccomp *f = NULL;
        struct vse_err err = {0};
        if (parse_and_compile(p, &s, &f, &err) < 0) {
            fprintf(stderr, "check: %s\n", err.msg);
            return 1;
        }
        puts("ok");
        return 0;
    }
    if (strcmp(argv[1], "bench") == 0) {
        int runs = argc >= 3 ? atoi(argv[2]) : 50;
        if (runs < 1 || runs > MAX_RUNS)
            runs = 50;
        return bench(runs);
    }
    fprintf(stderr, "unknown command %s\n", argv[1]);
    return 2;
}
