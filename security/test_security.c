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
    RUN(&c, test_lsm_absent_is_warned_and_ignored);
    return test_summary(&c);
}
