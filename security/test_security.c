/* Unit tests of security/: capabilities read back from /proc/self/status, no_new_privs,
 * seccomp filters enforced for real (errno, kill, argument conditions, notify with an in-test
 * agent), LSM handling. Every test runs in a forked child. Needs root. */
#include "security/security.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <seccomp.h>
#include <sys/capability.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "json/json.h"
#include "process/process.h"
#include "process/test_harness.h"
#include "security/seccomp_cache.h"

#define BIT(c) (1ULL << (c))

static char *status_line(const char *key)
{
    _cleanup_free_ char *buf = NULL;
    struct vse_err err = {0};
    CHECK(vse_read_file_at(AT_FDCWD, "/proc/self/status", &buf, NULL, &err) == 0, "%s",
          err.msg);
    _cleanup_free_ char *needle = vse_asprintf("\n%s:\t", key);
    char *p = strstr(buf, needle);
    CHECK(p != NULL, "no %s line", key);
    p += strlen(needle);
    return vse_strndup(p, strcspn(p, "\n"));
}

static void check_status(const char *key, uint64_t want)
{
    _cleanup_free_ char *got = status_line(key);
    char hex[32];
    snprintf(hex, sizeof(hex), "%016llx", (unsigned long long) want);
    CHECK(strcmp(got, hex) == 0, "%s: %s, want %s", key, got, hex);
}

static uint64_t host_bounding(void)
{
    uint64_t b = 0;
    for (int c = 0; c <= 63; c++)
        if (prctl(PR_CAPBSET_READ, c, 0, 0, 0) == 1)
            b |= BIT(c);
    return b;
}

/* ---- capabilities ---- */

static void test_caps_root(void)
{
    struct spec_capabilities caps = {
        .bounding = BIT(CAP_KILL) | BIT(CAP_NET_BIND_SERVICE) | BIT(CAP_AUDIT_WRITE) |
                    BIT(CAP_CHOWN),
        .effective = BIT(CAP_KILL) | BIT(CAP_NET_BIND_SERVICE),
        .permitted = BIT(CAP_KILL) | BIT(CAP_NET_BIND_SERVICE) | BIT(CAP_CHOWN),
        .inheritable = BIT(CAP_KILL),
        .ambient = BIT(CAP_KILL),
    };
    struct vse_err err = {0};
    CHECK(security_apply_bounding(&caps, &err) == 0, "%s", err.msg);
    CHECK(security_apply_capabilities(&caps, &err) == 0, "%s", err.msg);
    check_status("CapBnd", caps.bounding);
    check_status("CapEff", caps.effective);
    check_status("CapPrm", caps.permitted);
    check_status("CapInh", caps.inheritable);
    check_status("CapAmb", caps.ambient);
}

/* The order the init uses: bounding, user switch, final sets; then across execve the ambient
 * set makes the non-root process keep exactly those capabilities. */
static void test_caps_after_user_switch_and_exec(void)
{
    uint64_t keep = BIT(CAP_NET_BIND_SERVICE) | BIT(CAP_KILL);
    struct spec_capabilities caps = {.bounding = keep | BIT(CAP_SETUID), .effective = keep,
                                     .permitted = keep, .inheritable = keep, .ambient = keep};
    struct spec_process p = {.user = {.uid = 1000, .gid = 1000}, .capabilities = &caps};
    struct vse_err err = {0};
    CHECK(security_apply_bounding(&caps, &err) == 0, "%s", err.msg);
    CHECK(process_set_user(&p, &err) == 0, "%s", err.msg);
    CHECK(security_apply_capabilities(&caps, &err) == 0, "%s", err.msg);
    check_status("CapEff", keep);
    check_status("CapAmb", keep);
    int pfd[2];
    CHECK(pipe(pfd) == 0, "pipe");
    pid_t pid = fork();
    if (pid == 0) {
        dup2(pfd[1], 1);
        char *args[] = {"/bin/grep", "^Cap", "/proc/self/status", NULL};
        char *env[] = {"PATH=/bin", NULL};
        struct spec_process ep = {.args = args, .env = env};
        process_exec(&ep, &err);
        _exit(127);
    }
    close(pfd[1]);
    char out[1024] = "";
    size_t len = 0;
    ssize_t n;
    while ((n = read(pfd[0], out + len, sizeof(out) - 1 - len)) > 0)
        len += (size_t) n;
    out[len] = '\0';
    waitpid(pid, NULL, 0);
    char want[256];
    snprintf(want, sizeof(want),
             "CapInh:\t%016llx\nCapPrm:\t%016llx\nCapEff:\t%016llx\nCapBnd:\t%016llx\n"
             "CapAmb:\t%016llx\n",
             (unsigned long long) keep, (unsigned long long) keep, (unsigned long long) keep,
             (unsigned long long) (keep | BIT(CAP_SETUID)), (unsigned long long) keep);
    CHECK(strcmp(out, want) == 0, "after exec:\n%s\nwant:\n%s", out, want);
}

static void test_caps_none(void)
{
    struct vse_err err = {0};
    CHECK(security_apply_bounding(NULL, &err) == 0, "%s", err.msg);
    CHECK(security_apply_capabilities(NULL, &err) == 0, "%s", err.msg);
    check_status("CapBnd", 0);
    check_status("CapEff", 0);
    check_status("CapPrm", 0);
}

/* A capability the host withholds from vse (CAP_SYS_RESOURCE on the dev VM; dropped here
 * first so the test means the same on any host). */
static void test_cap_missing_from_host(void)
{
    prctl(PR_CAPBSET_DROP, CAP_SYS_RESOURCE, 0, 0, 0);
    cap_t c = cap_get_proc();
    cap_value_t v = CAP_SYS_RESOURCE;
    cap_set_flag(c, CAP_EFFECTIVE, 1, &v, CAP_CLEAR);
    cap_set_flag(c, CAP_PERMITTED, 1, &v, CAP_CLEAR);
    CHECK(cap_set_proc(c) == 0, "cap_set_proc");
    cap_free(c);

    struct spec_capabilities caps = {
        .bounding = BIT(CAP_KILL) | BIT(CAP_SYS_RESOURCE),
        .effective = BIT(CAP_KILL) | BIT(CAP_SYS_RESOURCE),
        .permitted = BIT(CAP_KILL) | BIT(CAP_SYS_RESOURCE),
    };
    struct vse_err err = {0};
    /* Bounding is an upper limit: a cap already absent stays absent, no error. */
    CHECK(security_apply_bounding(&caps, &err) == 0, "%s", err.msg);
    CHECK(!(host_bounding() & BIT(CAP_SYS_RESOURCE)), "CAP_SYS_RESOURCE came back");
    CHECK_ERR(security_apply_capabilities(&caps, &err), err, "process.capabilities.permitted",
              "CAP_SYS_RESOURCE", "bounding set");
    /* inheritable alone is checked too */
    caps = (struct spec_capabilities){.inheritable = BIT(CAP_SYS_RESOURCE)};
    CHECK_ERR(security_apply_capabilities(&caps, &err), err, "process.capabilities.inheritable",
              "CAP_SYS_RESOURCE");
}

static void test_cap_set_rules(void)
{
    struct spec_capabilities caps = {.effective = BIT(CAP_CHOWN), .permitted = BIT(CAP_KILL)};
    struct vse_err err = {0};
    CHECK_ERR(security_apply_capabilities(&caps, &err), err, "process.capabilities.effective",
              "CAP_CHOWN", "subset");
    caps = (struct spec_capabilities){.permitted = BIT(CAP_KILL), .ambient = BIT(CAP_KILL)};
    CHECK_ERR(security_apply_capabilities(&caps, &err), err, "process.capabilities.ambient",
              "CAP_KILL", "inheritable");
}

static void test_no_new_privs(void)
{
    struct vse_err err = {0};
    _cleanup_free_ char *before = status_line("NoNewPrivs");
    CHECK(strcmp(before, "0") == 0, "NoNewPrivs already %s", before);
    CHECK(security_set_no_new_privs(&err) == 0, "%s", err.msg);
    _cleanup_free_ char *after = status_line("NoNewPrivs");
    CHECK(strcmp(after, "1") == 0, "NoNewPrivs %s", after);
}

/* ---- seccomp ---- */

struct log_capture {
    char text[4096];
};

static void capture_write(void *data, enum vse_log_level level, const char *msg)
{
    struct log_capture *c = data;
    size_t len = strlen(c->text);
    snprintf(c->text + len, sizeof(c->text) - len, "%d:%s\n", (int) level, msg);
}

static struct security_seccomp *compile_ok(const struct spec_seccomp *sc,
                                           struct log_capture *cap)
{
    struct vse_logger log = {.write = capture_write, .data = cap, .max_level = VSE_LOG_DEBUG};
    struct security_seccomp *f = NULL;
    struct vse_err err = {0};
    CHECK(security_seccomp_compile(sc, &log, &f, &err) == 0, "%s", err.msg);
    return f;
}

static void load_ok(struct security_seccomp *f, const char *state)
{
    struct vse_err err = {0};
    CHECK(security_seccomp_load(f, state, &err) == 0, "%s", err.msg);
}

static void test_seccomp_errno(void)
{
    char *names[] = {"mkdir", "mkdirat", "vse_no_such_syscall", NULL};
    char *arches[] = {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32", NULL};
    char *flags[] = {"SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW", NULL};
    struct spec_seccomp_syscall rules[] = {
        {.names = names, .action = SPEC_SCMP_ERRNO, .errno_ret = {true, ENOMEDIUM}},
    };
    struct spec_seccomp sc = {.default_action = SPEC_SCMP_ALLOW, .architectures = arches,
                              .flags = flags, .syscalls = rules, .n_syscalls = 1};
    struct log_capture cap = {0};
    struct security_seccomp *f = compile_ok(&sc, &cap);
    CHECK(strstr(cap.text, "unknown syscall \"vse_no_such_syscall\" skipped") != NULL,
          "no debug line for the unknown syscall: %s", cap.text);
    CHECK(!security_seccomp_uses_notify(f), "notify");
    load_ok(f, NULL);
    security_seccomp_free(f);
    errno = 0;
    CHECK(mkdir("/tmp/vse-seccomp-should-not-exist", 0700) < 0 && errno == ENOMEDIUM,
          "mkdir errno %d", errno);
    _cleanup_free_ char *mode = status_line("Seccomp");
    CHECK(strcmp(mode, "2") == 0, "Seccomp mode %s", mode);
    _cleanup_free_ char *nnp = status_line("NoNewPrivs");
    CHECK(strcmp(nnp, "0") == 0, "libseccomp set no_new_privs on its own: %s", nnp);
}

static void test_seccomp_default_errno(void)
{
    /* enough for the test itself and a sanitizer runtime */
    char *allowed[] = {"exit_group", "exit", "write", "getpid", "rt_sigreturn", "munmap",
                       "brk", "futex", "mmap", "mprotect", "madvise", "sigaltstack",
                       "rt_sigaction", "rt_sigprocmask", "prctl", "prlimit64", "gettid",
                       "sched_yield", "close", NULL};
    struct spec_seccomp_syscall rules[] = {{.names = allowed, .action = SPEC_SCMP_ALLOW}};
    struct spec_seccomp sc = {.default_action = SPEC_SCMP_ERRNO,
                              .default_errno_ret = {true, EXDEV},
                              .syscalls = rules, .n_syscalls = 1};
    struct log_capture cap = {0};
    struct security_seccomp *f = compile_ok(&sc, &cap);
    load_ok(f, NULL);
    long r = syscall(SYS_getppid);
    int e = errno;
    if (!(r < 0 && e == EXDEV))
        _exit(3);
    _exit(getpid() > 0 ? 0 : 4);
}

static void test_seccomp_kill_process(void)
{
    pid_t pid = fork();
    if (pid == 0) {
        struct rlimit no_core = {0, 0};
        setrlimit(RLIMIT_CORE, &no_core);
        char *names[] = {"getppid", NULL};
        struct spec_seccomp_syscall rules[] = {{.names = names,
                                                .action = SPEC_SCMP_KILL_PROCESS}};
        struct spec_seccomp sc = {.default_action = SPEC_SCMP_ALLOW, .syscalls = rules,
                                  .n_syscalls = 1};
        struct log_capture cap = {0};
        load_ok(compile_ok(&sc, &cap), NULL);
        syscall(SYS_getppid);
        _exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS, "status 0x%x", status);
}

static void test_seccomp_args(void)
{
    char *kill_names[] = {"kill", NULL};
    char *pgid_names[] = {"getpgid", NULL};
    char *sid_names[] = {"getsid", NULL};
    char *prio_names[] = {"getpriority", NULL};
    /* same index twice: ORed */
    struct spec_seccomp_arg kill_args[] = {
        {.index = 1, .value = 0, .op = SPEC_SCMP_CMP_EQ},
        {.index = 1, .value = SIGURG, .op = SPEC_SCMP_CMP_EQ},
    };
    struct spec_seccomp_arg pgid_args[] = {
        {.index = 0, .value = 0xff, .value_two = 0x7f, .op = SPEC_SCMP_CMP_MASKED_EQ},
    };
    struct spec_seccomp_arg sid_args[] = {
        {.index = 0, .value = 1000000000, .op = SPEC_SCMP_CMP_GT},
    };
    /* distinct indexes: ANDed */
    struct spec_seccomp_arg prio_args[] = {
        {.index = 0, .value = PRIO_PGRP, .op = SPEC_SCMP_CMP_EQ},
        {.index = 1, .value = 5, .op = SPEC_SCMP_CMP_NE},
    };
    struct spec_seccomp_syscall rules[] = {
        {.names = kill_names, .action = SPEC_SCMP_ERRNO, .errno_ret = {true, EXDEV},
         .args = kill_args, .n_args = 2},
        {.names = pgid_names, .action = SPEC_SCMP_ERRNO, .errno_ret = {true, EXDEV},
         .args = pgid_args, .n_args = 1},
        {.names = sid_names, .action = SPEC_SCMP_ERRNO, .errno_ret = {true, EXDEV},
         .args = sid_args, .n_args = 1},
        {.names = prio_names, .action = SPEC_SCMP_ERRNO, .errno_ret = {true, EXDEV},
         .args = prio_args, .n_args = 2},
    };
    struct spec_seccomp sc = {.default_action = SPEC_SCMP_ALLOW, .syscalls = rules,
                              .n_syscalls = 4};
    struct log_capture cap = {0};
    load_ok(compile_ok(&sc, &cap), NULL);
    signal(SIGURG, SIG_IGN);
    signal(SIGWINCH, SIG_IGN);
    errno = 0;
    CHECK(kill(getpid(), 0) < 0 && errno == EXDEV, "kill sig 0: errno %d", errno);
    CHECK(kill(getpid(), SIGURG) < 0 && errno == EXDEV, "kill SIGURG: errno %d", errno);
    CHECK(kill(getpid(), SIGWINCH) == 0, "kill SIGWINCH blocked: errno %d", errno);
    CHECK(getpgid(0x17f) < 0 && errno == EXDEV, "masked_eq: errno %d", errno);
    CHECK(getpgid(0) >= 0, "getpgid(0) blocked");
    CHECK(getsid(2000000000) < 0 && errno == EXDEV, "gt: errno %d", errno);
    CHECK(getsid(0) >= 0, "getsid(0) blocked");
    errno = 0;
    getpriority(PRIO_PGRP, 0);
    CHECK(errno == EXDEV, "and-rule not applied: errno %d", errno);
    errno = 0;
    getpriority(PRIO_PGRP, 5); /* no such group: ESRCH from the kernel, not the filter */
    CHECK(errno != EXDEV, "and-rule over-applied: errno %d", errno);
    errno = 0;
    getpriority(PRIO_PROCESS, 0);
    CHECK(errno == 0, "and-rule over-applied: errno %d", errno);
}

static void test_seccomp_config_errors(void)
{
    struct vse_err err = {0};
    struct security_seccomp *f = NULL;
    char *bad_arch[] = {"SCMP_ARCH_X86_64", "SCMP_ARCH_BOGUS", NULL};
    struct spec_seccomp sc = {.default_action = SPEC_SCMP_ALLOW, .architectures = bad_arch};
    CHECK_ERR(security_seccomp_compile(&sc, NULL, &f, &err), err,
              "linux.seccomp.architectures[1]", "SCMP_ARCH_BOGUS");

    char *waitkill[] = {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", NULL};
    sc = (struct spec_seccomp){.default_action = SPEC_SCMP_ALLOW, .flags = waitkill};
    int ret = security_seccomp_compile(&sc, NULL, &f, &err);
#if SCMP_VER_MINOR < 6 && SCMP_VER_MAJOR == 2
    CHECK_ERR(ret, err, "linux.seccomp.flags[0]", "WAIT_KILLABLE_RECV", "not supported",
              "libseccomp 2.5");
#else
    CHECK(ret == 0, "%s", err.msg);
    security_seccomp_free(f);
#endif
    char *unknown_flag[] = {"SECCOMP_FILTER_FLAG_BOGUS", NULL};
    sc.flags = unknown_flag;
    CHECK_ERR(security_seccomp_compile(&sc, NULL, &f, &err), err, "linux.seccomp.flags[0]",
              "SECCOMP_FILTER_FLAG_BOGUS");

    sc = (struct spec_seccomp){.default_action = SPEC_SCMP_NOTIFY};
    CHECK_ERR(security_seccomp_compile(&sc, NULL, &f, &err), err, "defaultAction",
              "SCMP_ACT_NOTIFY");

    char *names[] = {"mkdir", NULL};
    struct spec_seccomp_syscall rules[] = {{.names = names, .action = SPEC_SCMP_NOTIFY}};
    sc = (struct spec_seccomp){.default_action = SPEC_SCMP_ALLOW, .syscalls = rules,
                               .n_syscalls = 1};
    CHECK_ERR(security_seccomp_compile(&sc, NULL, &f, &err), err, "listenerPath", "required");

    char *write_names[] = {"write", NULL};
    rules[0].names = write_names;
    sc.listener_path = "/tmp/vse-nonexistent.sock";
    CHECK_ERR(security_seccomp_compile(&sc, NULL, &f, &err), err, "syscalls[0]", "\"write\"");

    rules[0].names = names;
    CHECK_ERR(security_seccomp_compile(&sc, NULL, &f, &err), err, "listenerPath",
              "/tmp/vse-nonexistent.sock");

    struct spec_seccomp_arg bad_args[] = {{.index = 6, .op = SPEC_SCMP_CMP_EQ}};
    struct spec_seccomp_syscall rules2[] = {
        {.names = names, .action = SPEC_SCMP_ERRNO, .args = bad_args, .n_args = 1}};
    sc = (struct spec_seccomp){.default_action = SPEC_SCMP_ALLOW, .syscalls = rules2,
                               .n_syscalls = 1};
    CHECK_ERR(security_seccomp_compile(&sc, NULL, &f, &err), err,
              "linux.seccomp.syscalls[0].args[0].index");
    CHECK(f == NULL, "filter handed out on error");
}

/* ---- the compiled-filter cache (seccomp_cache.c) ---- */

static char *key_of(const struct spec_seccomp *sc, size_t *len)
{
    return seccomp_cache_key(sc, len);
}

static bool keys_equal(const struct spec_seccomp *a, const struct spec_seccomp *b)
{
    size_t la = 0, lb = 0;
    _cleanup_free_ char *ka = key_of(a, &la);
    _cleanup_free_ char *kb = key_of(b, &lb);
    return la == lb && memcmp(ka, kb, la) == 0;
}

static struct spec *parse_seccomp_config(const char *seccomp_json)
{
    _cleanup_free_ char *cfg = vse_asprintf("{\"ociVersion\": \"1.2.0\", \"root\": {\"path\": "
                                            "\"rootfs\"}, \"linux\": {\"seccomp\": %s}}",
                                            seccomp_json);
    struct spec *s = NULL;
    struct vse_err err = {0};
    CHECK(spec_parse(cfg, &s, &err) == 0, "%s", err.msg);
    return s;
}

static void test_seccomp_cache_key_is_canonical(void)
{
    /* the same section written differently: member order, whitespace, number spelling */
    _cleanup_spec_ struct spec *a = parse_seccomp_config(
        "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"architectures\": [\"SCMP_ARCH_X86_64\"],"
        " \"syscalls\": [{\"names\": [\"read\", \"write\"], \"action\": \"SCMP_ACT_ALLOW\"},"
        " {\"names\": [\"personality\"], \"action\": \"SCMP_ACT_ALLOW\", \"args\": [{\"index\":"
        " 0, \"value\": 8, \"op\": \"SCMP_CMP_EQ\"}]}]}");
    _cleanup_spec_ struct spec *b = parse_seccomp_config(
        "{\"syscalls\":[{\"action\":\"SCMP_ACT_ALLOW\",\"names\":[\"read\",\"write\"]},"
        "{\"args\":[{\"op\":\"SCMP_CMP_EQ\",\"value\":8,\"index\":0}],\"action\":"
        "\"SCMP_ACT_ALLOW\",\"names\":[\"personality\"]}],\"architectures\":"
        "[\"SCMP_ARCH_X86_64\"],\"defaultAction\":\"SCMP_ACT_ERRNO\"}");
    CHECK(keys_equal(a->linux_->seccomp, b->linux_->seccomp), "same section, different keys");

    size_t len = 0;
    _cleanup_free_ char *key = key_of(a->linux_->seccomp, &len);
    CHECK(strlen(key) == len, "key has a NUL inside");
    CHECK(vse_str_has_prefix(key, "vse-seccomp-cache 1\nvse "), "key: %s", key);
    const struct scmp_version *v = seccomp_version();
    _cleanup_free_ char *lib = vse_asprintf("\nlibseccomp %u.%u.%u api %u native %u\n",
                                            v->major, v->minor, v->micro, seccomp_api_get(),
                                            seccomp_arch_native());
    CHECK(strstr(key, lib) != NULL, "no \"%s\" in key: %s", lib, key);
    CHECK(strstr(key, "\n5:write\n") != NULL && strstr(key, "\narg 0 op 3 8 0\n") != NULL,
          "key: %s", key);
}

static void test_seccomp_cache_key_tells_sections_apart(void)
{
    char *ab_c[] = {"ab", "c", NULL}, *a_bc[] = {"a", "bc", NULL};
    struct spec_seccomp_syscall r1[] = {{.names = ab_c, .action = SPEC_SCMP_ALLOW}};
    struct spec_seccomp_syscall r2[] = {{.names = a_bc, .action = SPEC_SCMP_ALLOW}};
    struct spec_seccomp s1 = {.default_action = SPEC_SCMP_ERRNO, .syscalls = r1, .n_syscalls = 1};
    struct spec_seccomp s2 = s1;
    s2.syscalls = r2;
    CHECK(!keys_equal(&s1, &s2), "names are not delimited");

    s2 = s1;
    s2.default_errno_ret = (opt_u64){true, EPERM};
    CHECK(!keys_equal(&s1, &s2), "defaultErrnoRet set/unset not told apart");
    s2 = s1;
    s2.default_action = SPEC_SCMP_KILL;
    CHECK(!keys_equal(&s1, &s2), "defaultAction");
    char *flags[] = {"SECCOMP_FILTER_FLAG_LOG", NULL};
    s2 = s1;
    s2.flags = flags;
    CHECK(!keys_equal(&s1, &s2), "flags");
    s2 = s1;
    s2.architectures = flags;
    CHECK(!keys_equal(&s1, &s2), "flags and architectures");
    s2 = s1;
    s2.listener_path = "";
    CHECK(!keys_equal(&s1, &s2), "empty listenerPath equals none");

    struct spec_seccomp_arg a1[] = {{.index = 0, .value = 1, .op = SPEC_SCMP_CMP_EQ}};
    struct spec_seccomp_arg a2[] = {{.index = 0, .value = 1, .value_two = 1,
                                     .op = SPEC_SCMP_CMP_EQ}};
    struct spec_seccomp_syscall r3[] = {{.names = ab_c, .action = SPEC_SCMP_ALLOW, .args = a1,
                                         .n_args = 1}};
    struct spec_seccomp_syscall r4[] = {{.names = ab_c, .action = SPEC_SCMP_ALLOW, .args = a2,
                                         .n_args = 1}};
    s1.syscalls = r3;
    s2 = s1;
    s2.syscalls = r4;
    CHECK(!keys_equal(&s1, &s2), "valueTwo");
    r4[0] = r3[0];
    r4[0].errno_ret = (opt_u64){true, 0};
    CHECK(!keys_equal(&s1, &s2), "errnoRet");
}

static void test_seccomp_cache_file_format(void)
{
    const char key[] = "key text";
    struct sock_filter prog[2] = {{0x20, 0, 0, 4}, {0x06, 0, 0, 0x7fff0000}};
    size_t len = 0;
    _cleanup_free_ char *buf = seccomp_cache_encode(key, sizeof(key) - 1, prog, 2, &len);
    CHECK(buf && len == SECCOMP_CACHE_HEADER_LEN + sizeof(key) - 1 + sizeof(prog), "len %zu",
          len);
    CHECK(memcmp(buf, "VSEBPF\0\1", 8) == 0, "magic");
    CHECK(memcmp(buf + SECCOMP_CACHE_HEADER_LEN, key, sizeof(key) - 1) == 0, "key not stored");

    struct sock_filter *out = NULL;
    size_t n = 0;
    CHECK(seccomp_cache_decode(buf, len, key, sizeof(key) - 1, &out, &n) == 0 && n == 2 &&
          memcmp(out, prog, sizeof(prog)) == 0, "round trip");
    free(out);
    /* a hash collision: same name, other key -> a miss, never the other program */
    CHECK(seccomp_cache_decode(buf, len, "key texT", 8, &out, &n) == -ESTALE && out == NULL,
          "other key accepted");
    CHECK(seccomp_cache_decode(buf, len, "key tex", 7, &out, &n) == -ESTALE, "prefix key");
    CHECK(seccomp_cache_decode(buf, len - 1, key, sizeof(key) - 1, &out, &n) == -EBADMSG,
          "truncated");
    CHECK(seccomp_cache_decode(buf, 10, key, sizeof(key) - 1, &out, &n) == -EBADMSG, "short");
    buf[7] = 2;
    CHECK(seccomp_cache_decode(buf, len, key, sizeof(key) - 1, &out, &n) == -EBADMSG,
          "format version");
    buf[7] = 1;
    uint32_t huge = 0xffffffff;
    memcpy(buf + 12, &huge, sizeof(huge));
    CHECK(seccomp_cache_decode(buf, len, key, sizeof(key) - 1, &out, &n) == -EBADMSG,
          "instruction count");
    CHECK(seccomp_cache_encode(key, 8, prog, SECCOMP_CACHE_MAX_INSNS + 1, &len) == NULL,
          "program over BPF_MAXINSNS encoded");

    char name[32], name2[32];
    seccomp_cache_file_name(key, sizeof(key) - 1, name);
    seccomp_cache_file_name(key, sizeof(key) - 1, name2);
    CHECK(strlen(name) == 20 && strcmp(name + 16, ".bpf") == 0 && strcmp(name, name2) == 0,
          "name %s", name);
    seccomp_cache_file_name("key texT", 8, name2);
    CHECK(strcmp(name, name2) != 0, "names");
}

static int make_temp_root(char *dir)
{
    strcpy(dir, "/tmp/vse-seccomp-cache-XXXXXX");
    CHECK(mkdtemp(dir) != NULL, "mkdtemp: %s", strerror(errno));
    return 0;
}

static void remove_temp_root(const char *dir)
{
    struct vse_err err = {0};
    vse_rm_rf(dir, &err);
}

static struct security_seccomp *compile_cached_ok(const struct spec_seccomp *sc, int dirfd,
                                                  struct log_capture *cap)
{
    struct vse_logger log = {.write = capture_write, .data = cap, .max_level = VSE_LOG_DEBUG};
    struct security_seccomp_opts o = {.cache_dirfd = dirfd};
    struct security_seccomp *f = NULL;
    struct vse_err err = {0};
    CHECK(security_seccomp_compile_opts(sc, &o, &log, &f, &err) == 0, "%s", err.msg);
    return f;
}

/* A filter from a cache hit is enforced exactly like a compiled one (mkdir -> ENOMEDIUM). */
static void load_in_child_and_check_mkdir(struct security_seccomp *f)
{
    pid_t pid = fork();
    if (pid == 0) {
        struct vse_err err = {0};
        if (security_seccomp_load(f, NULL, &err) < 0)
            _exit(2);
        _exit(mkdir("/tmp/vse-seccomp-should-not-exist", 0700) < 0 && errno == ENOMEDIUM ? 0
                                                                                       : 3);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status 0x%x", status);
}

static void test_seccomp_cache_store_and_hit(void)
{
    char root[64];
    make_temp_root(root);
    struct vse_logger quiet = {0};
    int dirfd = security_seccomp_cache_open(root, &quiet);
    _cleanup_free_ char *dir = vse_asprintf("%s/.seccomp-cache", root);
    struct stat st;
    CHECK(dirfd >= 0 && stat(dir, &st) == 0 && (st.st_mode & 07777) == 0700, "cache dir");

    char *names[] = {"mkdir", "mkdirat", NULL};
    char *flags[] = {"SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_TSYNC", NULL};
    struct spec_seccomp_syscall rules[] = {
        {.names = names, .action = SPEC_SCMP_ERRNO, .errno_ret = {true, ENOMEDIUM}}};
    struct spec_seccomp sc = {.default_action = SPEC_SCMP_ALLOW, .flags = flags,
                              .syscalls = rules, .n_syscalls = 1};
    struct log_capture cap1 = {0}, cap2 = {0};
    struct security_seccomp *f1 = compile_cached_ok(&sc, dirfd, &cap1);
    CHECK(strstr(cap1.text, "seccomp: cache stored: ") != NULL, "log: %s", cap1.text);
    struct security_seccomp *f2 = compile_cached_ok(&sc, dirfd, &cap2);
    CHECK(strstr(cap2.text, "seccomp: cache hit: ") != NULL, "log: %s", cap2.text);

    size_t key_len = 0;
    _cleanup_free_ char *key = seccomp_cache_key(&sc, &key_len);
    char name[32];
    seccomp_cache_file_name(key, key_len, name);
    _cleanup_free_ char *path = vse_asprintf("%s/%s", dir, name);
    CHECK(stat(path, &st) == 0 && (st.st_mode & 07777) == 0600 && st.st_uid == geteuid(),
          "%s: mode %o", path, st.st_mode);

    /* the cached program is the one libseccomp generates */
    struct security_seccomp *plain = compile_ok(&sc, &(struct log_capture){0});
    _cleanup_close_ int m1 = memfd_create("a", MFD_CLOEXEC), m2 = memfd_create("b", MFD_CLOEXEC);
    struct vse_err err = {0};
    CHECK(security_seccomp_export_bpf(plain, m1, &err) == 0 &&
          security_seccomp_export_bpf(f2, m2, &err) == 0, "%s", err.msg);
    _cleanup_free_ char *p1 = NULL, *p2 = NULL;
    size_t l1 = 0, l2 = 0;
    _cleanup_free_ char *fd1 = vse_asprintf("/proc/self/fd/%d", m1);
    _cleanup_free_ char *fd2 = vse_asprintf("/proc/self/fd/%d", m2);
    CHECK(vse_read_file_at(AT_FDCWD, fd1, &p1, &l1, &err) == 0 &&
          vse_read_file_at(AT_FDCWD, fd2, &p2, &l2, &err) == 0, "%s", err.msg);
    CHECK(l1 == l2 && l1 > 0 && memcmp(p1, p2, l1) == 0, "cached program differs (%zu, %zu)",
          l1, l2);
    load_in_child_and_check_mkdir(f1);
    load_in_child_and_check_mkdir(f2);
    security_seccomp_free(plain);
    security_seccomp_free(f1);
    security_seccomp_free(f2);

    /* group/world writable: refused, recompiled, rewritten 0600 */
    CHECK(chmod(path, 0666) == 0, "chmod");
    struct log_capture cap3 = {0};
    struct security_seccomp *f3 = compile_cached_ok(&sc, dirfd, &cap3);
    CHECK(strstr(cap3.text, "refused: group or world writable (mode 0666)") != NULL &&
          strstr(cap3.text, "seccomp: cache stored: ") != NULL, "log: %s", cap3.text);
    CHECK(stat(path, &st) == 0 && (st.st_mode & 07777) == 0600, "not rewritten");
    load_in_child_and_check_mkdir(f3);
    security_seccomp_free(f3);

    /* owned by someone else: refused */
    CHECK(chown(path, 65534, 65534) == 0, "chown");
    struct log_capture cap4 = {0};
    security_seccomp_free(compile_cached_ok(&sc, dirfd, &cap4));
    CHECK(strstr(cap4.text, "refused: owned by uid 65534") != NULL, "log: %s", cap4.text);

    /* garbage under the right name */
    CHECK(truncate(path, 20) == 0, "truncate");
    struct log_capture cap5 = {0};
    security_seccomp_free(compile_cached_ok(&sc, dirfd, &cap5));
    CHECK(strstr(cap5.text, "not a valid cache file") != NULL &&
          strstr(cap5.text, "cache stored") != NULL, "log: %s", cap5.text);
    close(dirfd);
    remove_temp_root(root);
}

static void test_seccomp_cache_dir_checks_and_bypass(void)
{
    char root[64];
    make_temp_root(root);
    _cleanup_free_ char *dir = vse_asprintf("%s/.seccomp-cache", root);
    CHECK(mkdir(dir, 0700) == 0 && chmod(dir, 0777) == 0, "mkdir");
    struct log_capture cap = {0};
    struct vse_logger log = {.write = capture_write, .data = &cap, .max_level = VSE_LOG_DEBUG};
    CHECK(security_seccomp_cache_open(root, &log) == -1 && strstr(cap.text, "refused") != NULL,
          "world-writable cache dir used: %s", cap.text);
    CHECK(chmod(dir, 0700) == 0, "chmod");
    _cleanup_close_ int dirfd = security_seccomp_cache_open(root, &log);
    CHECK(dirfd >= 0, "cache dir not opened");
    CHECK(security_seccomp_cache_open("/nonexistent/vse", &log) == -1, "missing root");

    /* flags the raw load cannot honour are not cached and keep their error */
    char *waitkill[] = {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", NULL};
    struct spec_seccomp sc = {.default_action = SPEC_SCMP_ALLOW, .flags = waitkill};
    struct security_seccomp_opts o = {.cache_dirfd = dirfd};
    struct security_seccomp *f = NULL;
    struct vse_err err = {0};
    int ret = security_seccomp_compile_opts(&sc, &o, NULL, &f, &err);
#if SCMP_VER_MINOR < 6 && SCMP_VER_MAJOR == 2
    CHECK_ERR(ret, err, "linux.seccomp.flags[0]", "WAIT_KILLABLE_RECV", "not supported");
#else
    CHECK(ret == 0, "%s", err.msg);
    security_seccomp_free(f);
#endif
    /* a notify rule is never cached: the error is libseccomp's path (listener required) */
    char *names[] = {"mkdir", NULL};
    struct spec_seccomp_syscall rules[] = {{.names = names, .action = SPEC_SCMP_NOTIFY}};
    sc = (struct spec_seccomp){.default_action = SPEC_SCMP_ALLOW, .syscalls = rules,
                               .n_syscalls = 1};
    CHECK_ERR(security_seccomp_compile_opts(&sc, &o, NULL, &f, &err), err, "listenerPath");
    _cleanup_closedir_ DIR *d = opendir(dir);
    int files = 0;
    for (struct dirent *de; d && (de = readdir(d));)
        files += de->d_name[0] != '.';
    CHECK(files == 0, "%d files cached", files);
    remove_temp_root(root);
}

/* Without no_new_privs and without CAP_SYS_ADMIN the kernel refuses the filter. */
static void test_seccomp_needs_nnp_or_sys_admin(void)
{
    struct spec_capabilities caps = {.effective = BIT(CAP_KILL), .permitted = BIT(CAP_KILL)};
    struct vse_err err = {0};
    char *names[] = {"mkdir", NULL};
    struct spec_seccomp_syscall rules[] = {{.names = names, .action = SPEC_SCMP_ERRNO}};
    struct spec_seccomp sc = {.default_action = SPEC_SCMP_ALLOW, .syscalls = rules,
                              .n_syscalls = 1};
    struct log_capture cap = {0};
    struct security_seccomp *f = compile_ok(&sc, &cap);
    CHECK(security_apply_capabilities(&caps, &err) == 0, "%s", err.msg);
    CHECK_ERR(security_seccomp_load(f, NULL, &err), err, "seccomp_load", "CAP_SYS_ADMIN");
    CHECK(security_set_no_new_privs(&err) == 0, "%s", err.msg);
    load_ok(f, NULL);
    security_seccomp_free(f);
    CHECK(mkdir("/tmp/vse-x", 0700) < 0 && errno == EPERM, "errno %d", errno);
}

/* ---- seccomp notify: an in-test agent ---- */

static int agent_listen(const char *path)
{
    int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
    CHECK(bind(sock, (struct sockaddr *) &addr, sizeof(addr)) == 0, "bind: %m");
    CHECK(listen(sock, 1) == 0, "listen");
    return sock;
}

/* Receives the state JSON and the listener fd (the state may span several reads). */
static int agent_receive(int conn, char *json, size_t len)
{
    int fd = -1;
    size_t got = 0;
    for (;;) {
        char ctl[CMSG_SPACE(sizeof(int))];
        struct iovec iov = {.iov_base = json + got, .iov_len = len - 1 - got};
        struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
                             .msg_controllen = sizeof(ctl)};
        ssize_t n = recvmsg(conn, &msg, MSG_CMSG_CLOEXEC);
        CHECK(n >= 0, "recvmsg: %m");
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
        if (c && c->cmsg_type == SCM_RIGHTS)
            memcpy(&fd, CMSG_DATA(c), sizeof(int));
        got += (size_t) n;
        json[got] = '\0';
        if (n == 0 || (got > 0 && json[got - 1] == '}')) {
            _cleanup_json_ json_node *probe = NULL;
            struct vse_err err = {0};
            if (n == 0 || json_parse(json, &probe, &err) == 0)
                break;
        }
    }
    return fd;
}

static void agent_answer(int notify_fd, pid_t child)
{
    struct pollfd pfd = {.fd = notify_fd, .events = POLLIN};
    CHECK(poll(&pfd, 1, 10000) == 1, "no notification within 10 s");
    struct seccomp_notif *req = NULL;
    struct seccomp_notif_resp *resp = NULL;
    CHECK(seccomp_notify_alloc(&req, &resp) == 0, "seccomp_notify_alloc");
    CHECK(seccomp_notify_receive(notify_fd, req) == 0, "seccomp_notify_receive");
    CHECK((pid_t) req->pid == child, "notification from pid %u, want %d", req->pid, child);
    int mkdirat_nr = seccomp_syscall_resolve_name("mkdirat");
    int mkdir_nr = seccomp_syscall_resolve_name("mkdir");
    CHECK(req->data.nr == mkdirat_nr || req->data.nr == mkdir_nr, "syscall %d", req->data.nr);
    resp->id = req->id;
    resp->error = -EXDEV;
    resp->val = 0;
    resp->flags = 0;
    CHECK(seccomp_notify_respond(notify_fd, resp) == 0, "seccomp_notify_respond");
    seccomp_notify_free(req, resp);
}

static void test_seccomp_notify(void)
{
    char tmpl[] = "/tmp/vse-test-notify-XXXXXX";
    CHECK(mkdtemp(tmpl) != NULL, "mkdtemp");
    _cleanup_free_ char *path = vse_asprintf("%s/agent.sock", tmpl);
    int lsock = agent_listen(path);
    pid_t child = fork();
    if (child == 0) {
        char *names[] = {"mkdir", "mkdirat", NULL};
        struct spec_seccomp_syscall rules[] = {{.names = names, .action = SPEC_SCMP_NOTIFY}};
        struct spec_seccomp sc = {.default_action = SPEC_SCMP_ALLOW, .syscalls = rules,
                                  .n_syscalls = 1, .listener_path = path,
                                  .listener_metadata = "vse-meta=1"};
        struct log_capture cap = {0};
        struct security_seccomp *f = compile_ok(&sc, &cap);
        CHECK(security_seccomp_uses_notify(f), "notify not detected");
        _cleanup_free_ char *state = vse_asprintf(
            "{\"ociVersion\":\"1.2.0\",\"id\":\"vse-notify\",\"status\":\"creating\","
            "\"pid\":%d,\"bundle\":\"/vse/bundle\",\"annotations\":{\"a\":\"b\"}}", getpid());
        load_ok(f, state);
        security_seccomp_free(f);
        errno = 0;
        int r = mkdir("/tmp/vse-notify-should-not-exist", 0700);
        _exit(r < 0 && errno == EXDEV ? 0 : 10 + (errno & 0x3f));
    }
    int conn = accept4(lsock, NULL, NULL, SOCK_CLOEXEC);
    CHECK(conn >= 0, "accept: %m");
    char json[8192];
    int notify_fd = agent_receive(conn, json, sizeof(json));
    CHECK(notify_fd >= 0, "no fd received; message: %s", json);
    _cleanup_json_ json_node *root = NULL;
    struct vse_err err = {0};
    CHECK(json_parse(json, &root, &err) == 0, "%s: %s", err.msg, json);
    json_node *fds = json_get(root, "fds");
    CHECK(fds && json_array_len(fds) == 1 &&
              strcmp(json_string(json_array_get(fds, 0)), "seccompFd") == 0, "fds in %s", json);
    int64_t pid = 0;
    CHECK(json_int64(json_get(root, "pid"), &pid) == 0 && pid == child, "pid in %s", json);
    CHECK(json_string(json_get(root, "metadata")) &&
              strcmp(json_string(json_get(root, "metadata")), "vse-meta=1") == 0,
          "metadata in %s", json);
    json_node *state = json_get(root, "state");
    CHECK(state && strcmp(json_string(json_get(state, "id")), "vse-notify") == 0 &&
              strcmp(json_string(json_get(state, "status")), "creating") == 0,
          "state in %s", json);
    CHECK(json_string(json_get(root, "ociVersion")) != NULL, "ociVersion in %s", json);
    agent_answer(notify_fd, child);
    int status;
    waitpid(child, &status, 0);
    unlink(path);
    rmdir(tmpl);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status 0x%x", status);
}

/* ---- LSM ---- */

static void test_lsm_absent_is_warned_and_ignored(void)
{
    struct stat st;
    if (stat("/sys/kernel/security/apparmor", &st) == 0 ||
        stat("/sys/fs/selinux/enforce", &st) == 0)
        SKIP("this host runs AppArmor or SELinux; the absent-LSM path cannot be tested");
    struct spec_process p = {.apparmor_profile = "vse-test-profile",
                             .selinux_label = "system_u:system_r:container_t:s0"};
    struct log_capture cap = {0};
    struct vse_logger log = {.write = capture_write, .data = &cap, .max_level = VSE_LOG_WARN};
    struct vse_err err = {0};
    CHECK(security_apply_lsm(&p, &log, &err) == 0, "%s", err.msg);
    CHECK(strstr(cap.text, "process.apparmorProfile \"vse-test-profile\" ignored") != NULL,
          "log: %s", cap.text);
    CHECK(strstr(cap.text, "process.selinuxLabel") && strstr(cap.text, "SELinux is not enabled"),
          "log: %s", cap.text);
}

int main(void)
{
    if (geteuid() != 0) {
        printf("security unit tests need root (capabilities, setresuid); skipped\n");
        return 77;
    }
    struct test_counts c = {0};
    RUN(&c, test_caps_root);
    RUN(&c, test_caps_after_user_switch_and_exec);
    RUN(&c, test_caps_none);
    RUN(&c, test_cap_missing_from_host);
    RUN(&c, test_cap_set_rules);
    RUN(&c, test_no_new_privs);
    RUN(&c, test_seccomp_errno);
    RUN(&c, test_seccomp_default_errno);
    RUN(&c, test_seccomp_kill_process);
    RUN(&c, test_seccomp_args);
    RUN(&c, test_seccomp_config_errors);
    RUN(&c, test_seccomp_needs_nnp_or_sys_admin);
    RUN(&c, test_seccomp_notify);
    RUN(&c, test_seccomp_cache_key_is_canonical);
    RUN(&c, test_seccomp_cache_key_tells_sections_apart);
    RUN(&c, test_seccomp_cache_file_format);
    RUN(&c, test_seccomp_cache_store_and_hit);
    RUN(&c, test_seccomp_cache_dir_checks_and_bypass);
    RUN(&c, test_lsm_absent_is_warned_and_ignored);
    return test_summary(&c);
}
