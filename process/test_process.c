/* Unit tests of process/: each test forks, applies a setting for real and reads the effect
 * back from the kernel. Run as root (meson test --suite unit). */
#include "process/process.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <sys/capability.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <termios.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "process/test_harness.h"

static char *make_tmpdir(void)
{
    char tmpl[] = "/tmp/vse-test-process-XXXXXX";
    char *d = mkdtemp(tmpl);
    CHECK(d != NULL, "mkdtemp: %m");
    return vse_strdup(d);
}

/* ---- rlimits ---- */

static void test_rlimits_applied(void)
{
    struct spec_rlimit rl[] = {
        {.resource = RLIMIT_NOFILE, .type = "RLIMIT_NOFILE", .soft = 512, .hard = 1000},
        {.resource = RLIMIT_CORE, .type = "RLIMIT_CORE", .soft = 0, .hard = 4096},
        {.resource = RLIMIT_NPROC, .type = "RLIMIT_NPROC", .soft = 3000, .hard = 4000},
    };
    struct spec_process p = {.rlimits = rl, .n_rlimits = 3};
    struct vse_err err = {0};
    int ret = process_apply_rlimits(&p, &err);
    CHECK(ret == 0, "%s", err.msg);
    for (size_t i = 0; i < 3; i++) {
        struct rlimit got;
        CHECK(getrlimit(rl[i].resource, &got) == 0, "getrlimit");
        CHECK(got.rlim_cur == rl[i].soft && got.rlim_max == rl[i].hard, "%s: %llu/%llu",
              rl[i].type, (unsigned long long) got.rlim_cur, (unsigned long long) got.rlim_max);
    }
}

static void drop_cap_sys_resource(void)
{
    prctl(PR_CAPBSET_DROP, CAP_SYS_RESOURCE, 0, 0, 0);
    cap_t c = cap_get_proc();
    cap_value_t v = CAP_SYS_RESOURCE;
    cap_set_flag(c, CAP_EFFECTIVE, 1, &v, CAP_CLEAR);
    cap_set_flag(c, CAP_PERMITTED, 1, &v, CAP_CLEAR);
    CHECK(cap_set_proc(c) == 0, "cap_set_proc: %m");
    cap_free(c);
}

static void test_rlimit_raise_without_cap_sys_resource(void)
{
    drop_cap_sys_resource();
    struct rlimit low = {.rlim_cur = 100, .rlim_max = 200};
    CHECK(setrlimit(RLIMIT_NOFILE, &low) == 0, "setrlimit: %m");
    struct spec_rlimit rl[] = {
        {.resource = RLIMIT_CORE, .type = "RLIMIT_CORE", .soft = 0, .hard = 0},
        {.resource = RLIMIT_NOFILE, .type = "RLIMIT_NOFILE", .soft = 300, .hard = 400},
    };
    struct spec_process p = {.rlimits = rl, .n_rlimits = 2};
    struct vse_err err = {0};
    int ret = process_apply_rlimits(&p, &err);
    CHECK_ERR(ret, err, "process.rlimits[1] RLIMIT_NOFILE", "CAP_SYS_RESOURCE",
              "from 200 to 400", "bounding set");
}

static void test_rlimit_soft_above_hard(void)
{
    struct spec_rlimit rl[] = {
        {.resource = RLIMIT_NOFILE, .type = "RLIMIT_NOFILE", .soft = 300, .hard = 200},
    };
    struct spec_process p = {.rlimits = rl, .n_rlimits = 1};
    struct vse_err err = {0};
    CHECK_ERR(process_apply_rlimits(&p, &err), err, "process.rlimits[0] RLIMIT_NOFILE",
              "soft limit 300 is above the hard limit 200");
}

/* ---- oom_score_adj ---- */

static int read_oom_score_adj(void)
{
    _cleanup_free_ char *buf = NULL;
    struct vse_err err = {0};
    CHECK(vse_read_file_at(AT_FDCWD, "/proc/self/oom_score_adj", &buf, NULL, &err) == 0, "%s",
          err.msg);
    return atoi(buf);
}

static void test_oom_score_adj(void)
{
    struct spec_process p = {.oom_score_adj = {.set = true, .value = 617}};
    struct vse_err err = {0};
    CHECK(process_apply_oom_score_adj(&p, &err) == 0, "%s", err.msg);
    CHECK(read_oom_score_adj() == 617, "got %d", read_oom_score_adj());
    drop_cap_sys_resource();
    p.oom_score_adj.value = -300;
    CHECK_ERR(process_apply_oom_score_adj(&p, &err), err, "process.oomScoreAdj",
              "CAP_SYS_RESOURCE");
    p.oom_score_adj.value = 2000;
    CHECK_ERR(process_apply_oom_score_adj(&p, &err), err, "outside -1000..1000");
}

/* ---- personality ---- */

static void test_personality(void)
{
    char *flags[] = {"ADDR_NO_RANDOMIZE", NULL};
    struct spec_personality pers = {.domain = "LINUX32", .flags = flags};
    struct spec_linux l = {.personality = &pers};
    struct vse_err err = {0};
    CHECK(process_apply_personality(&l, &err) == 0, "%s", err.msg);
    int cur = personality(0xffffffff);
    CHECK((cur & PER_MASK) == PER_LINUX32, "persona 0x%x", cur);
    CHECK(cur & ADDR_NO_RANDOMIZE, "persona 0x%x", cur);
    struct utsname u;
    uname(&u);
    CHECK(strcmp(u.machine, "x86_64") != 0, "machine still %s under LINUX32", u.machine);

    char *bad[] = {"NO_SUCH_FLAG", NULL};
    pers.flags = bad;
    CHECK_ERR(process_apply_personality(&l, &err), err, "linux.personality.flags[0]",
              "NO_SUCH_FLAG");
    pers.domain = "LINUX64";
    pers.flags = NULL;
    CHECK_ERR(process_apply_personality(&l, &err), err, "linux.personality.domain", "LINUX64");
}

/* ---- scheduler / ioprio / affinity ---- */

static void test_scheduler(void)
{
    struct spec_scheduler s = {.policy = SPEC_SCHED_BATCH, .nice = 7};
    struct spec_process p = {.scheduler = &s};
    struct vse_err err = {0};
    CHECK(process_apply_scheduler(&p, &err) == 0, "%s", err.msg);
    CHECK(sched_getscheduler(0) == SCHED_BATCH, "policy %d", sched_getscheduler(0));
    errno = 0;
    CHECK(getpriority(PRIO_PROCESS, 0) == 7, "nice %d", getpriority(PRIO_PROCESS, 0));

    s.policy = SPEC_SCHED_FIFO;
    s.nice = 0;
    s.priority = 500; /* beyond 99 */
    CHECK_ERR(process_apply_scheduler(&p, &err), err, "process.scheduler", "SCHED_FIFO",
              "Invalid argument");
}

static void test_scheduler_fifo(void)
{
    struct spec_scheduler s = {.policy = SPEC_SCHED_FIFO, .priority = 3};
    struct spec_process p = {.scheduler = &s};
    struct vse_err err = {0};
    int ret = process_apply_scheduler(&p, &err);
    if (ret == -EPERM)
        SKIP("SCHED_FIFO not allowed here (RT throttling/cgroup has no rt runtime): %s",
             err.msg);
    CHECK(ret == 0, "%s", err.msg);
    struct sched_param sp;
    sched_getparam(0, &sp);
    CHECK(sched_getscheduler(0) == SCHED_FIFO && sp.sched_priority == 3, "policy %d prio %d",
          sched_getscheduler(0), sp.sched_priority);
}

static void test_io_priority(void)
{
    struct spec_process p = {.io_priority = {.set = true, .klass = 2, .priority = 6}};
    struct vse_err err = {0};
    CHECK(process_apply_io_priority(&p, &err) == 0, "%s", err.msg);
    long v = syscall(SYS_ioprio_get, 1, 0);
    CHECK(v == ((2 << 13) | 6), "ioprio 0x%lx", v);
    p.io_priority.klass = 3;
    p.io_priority.priority = 0;
    CHECK(process_apply_io_priority(&p, &err) == 0, "%s", err.msg);
    v = syscall(SYS_ioprio_get, 1, 0);
    CHECK(v == (3 << 13), "ioprio 0x%lx", v);
    p.io_priority.klass = 9;
    CHECK_ERR(process_apply_io_priority(&p, &err), err, "process.ioPriority.class");
}

static void test_cpu_affinity(void)
{
    struct vse_err err = {0};
    CHECK(process_apply_cpu_affinity("0", &err) == 0, "%s", err.msg);
    cpu_set_t set;
    CHECK(sched_getaffinity(0, sizeof(set), &set) == 0, "sched_getaffinity");
    CHECK(CPU_COUNT(&set) == 1 && CPU_ISSET(0, &set), "count %d", CPU_COUNT(&set));
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    if (ncpu >= 2) {
        CHECK(process_apply_cpu_affinity("0-1", &err) == 0, "%s", err.msg);
        sched_getaffinity(0, sizeof(set), &set);
        CHECK(CPU_COUNT(&set) == 2, "count %d", CPU_COUNT(&set));
        CHECK(process_apply_cpu_affinity("1,0", &err) == 0, "%s", err.msg);
    }
    CHECK_ERR(process_apply_cpu_affinity("0-x", &err), err, "process.execCPUAffinity", "0-x");
    CHECK_ERR(process_apply_cpu_affinity("3-1", &err), err, "invalid CPU list");
    CHECK_ERR(process_apply_cpu_affinity("", &err), err, "invalid CPU list");
}

/* ---- terminal ---- */

/* A pty of the host's devpts (the runtime passes the container's ptmx instead). */
static int open_test_pty(const struct spec_process *p, struct process_pty *pty,
                         struct vse_err *err)
{
    _cleanup_close_ int ptmx = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
    CHECK(ptmx >= 0, "open /dev/ptmx: %m");
    int ret = process_open_pty(&ptmx, p, pty, err);
    CHECK(ret < 0 || ptmx == -1, "ptmx not taken over");
    return ret;
}

static void test_pty_console_size(void)
{
    struct spec_process p = {.terminal = true, .has_console_size = true, .console_height = 40,
                             .console_width = 100};
    struct process_pty pty __attribute__((cleanup(process_pty_release))) = {-1, -1, ""};
    struct vse_err err = {0};
    CHECK(open_test_pty(&p, &pty, &err) == 0, "%s", err.msg);
    CHECK(vse_str_has_prefix(pty.name, "/dev/pts/"), "slave %s", pty.name);
    CHECK(fcntl(pty.master, F_GETFD) & FD_CLOEXEC, "master not CLOEXEC");
    CHECK(fcntl(pty.slave, F_GETFD) & FD_CLOEXEC, "slave not CLOEXEC");
    struct winsize ws;
    CHECK(ioctl(pty.slave, TIOCGWINSZ, &ws) == 0, "TIOCGWINSZ");
    CHECK(ws.ws_row == 40 && ws.ws_col == 100, "%ux%u", ws.ws_row, ws.ws_col);
    /* The slave fd is the pty the name says. */
    struct stat by_fd, by_name;
    CHECK(fstat(pty.slave, &by_fd) == 0 && stat(pty.name, &by_name) == 0 &&
              by_fd.st_rdev == by_name.st_rdev,
          "slave fd is not %s", pty.name);
}

static void test_attach_terminal(void)
{
    struct process_pty pty __attribute__((cleanup(process_pty_release))) = {-1, -1, ""};
    struct vse_err err = {0};
    CHECK(open_test_pty(NULL, &pty, &err) == 0, "%s", err.msg);
    pid_t pid = fork();
    if (pid == 0) {
        if (process_attach_terminal(&pty, &err) < 0) {
            fprintf(stderr, "%s\n", err.msg);
            _exit(2);
        }
        int ok = isatty(0) && isatty(1) && isatty(2) && tcgetsid(0) == getsid(0) &&
                 getsid(0) == getpid() && pty.slave == -1;
        printf(ok ? "vse-tty-ok\n" : "vse-tty-bad\n");
        fflush(stdout);
        _exit(ok ? 0 : 3);
    }
    vse_closep(&pty.slave);
    pty.slave = -1;
    int status;
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status 0x%x", status);
    char buf[256] = "";
    ssize_t n = read(pty.master, buf, sizeof(buf) - 1);
    CHECK(n > 0, "read master: %m");
    CHECK(strstr(buf, "vse-tty-ok") != NULL, "got \"%s\"", buf);
}

static int listen_unix(const char *path)
{
    int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
    CHECK(bind(sock, (struct sockaddr *) &addr, sizeof(addr)) == 0, "bind %s: %m", path);
    CHECK(listen(sock, 1) == 0, "listen");
    return sock;
}

static void test_console_socket_round_trip(void)
{
    _cleanup_free_ char *dir = make_tmpdir();
    _cleanup_free_ char *path = vse_asprintf("%s/console.sock", dir);
    int lsock = listen_unix(path);
    struct process_pty pty __attribute__((cleanup(process_pty_release))) = {-1, -1, ""};
    struct vse_err err = {0};
    CHECK(open_test_pty(NULL, &pty, &err) == 0, "%s", err.msg);
    int master = pty.master;
    int ret = process_send_console(path, master, &err);
    CHECK(ret == 0, "%s", err.msg);
    int conn = accept4(lsock, NULL, NULL, SOCK_CLOEXEC);
    CHECK(conn >= 0, "accept: %m");
    /* Read the message by hand to see the payload runc's receivers get. */
    char name[256] = "";
    char ctl[CMSG_SPACE(sizeof(int))];
    struct iovec iov = {.iov_base = name, .iov_len = sizeof(name) - 1};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
                         .msg_controllen = sizeof(ctl)};
    CHECK(recvmsg(conn, &msg, MSG_CMSG_CLOEXEC) > 0, "recvmsg: %m");
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    CHECK(c && c->cmsg_type == SCM_RIGHTS, "no SCM_RIGHTS");
    int got;
    memcpy(&got, CMSG_DATA(c), sizeof(int));
    CHECK(strstr(name, "ptmx") != NULL, "payload \"%s\"", name);
    unsigned int n1, n2;
    CHECK(ioctl(master, TIOCGPTN, &n1) == 0 && ioctl(got, TIOCGPTN, &n2) == 0 && n1 == n2,
          "received fd is not the same pty master");
    /* A bad path names the flag. */
    CHECK_ERR(process_send_console("/nonexistent/vse.sock", master, &err), err,
              "--console-socket", "/nonexistent/vse.sock");
    unlink(path);
    rmdir(dir);
}

static void test_send_recv_fd(void)
{
    int sv[2], p[2];
    CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0, "socketpair");
    CHECK(pipe(p) == 0, "pipe");
    struct vse_err err = {0};
    CHECK(process_send_fd(sv[0], p[1], "pipe-writer", &err) == 0, "%s", err.msg);
    close(p[1]);
    int fd = -1;
    CHECK(process_recv_fd(sv[1], &fd, &err) == 0, "%s", err.msg);
    CHECK(fcntl(fd, F_GETFD) & FD_CLOEXEC, "received fd not CLOEXEC");
    CHECK(write(fd, "x", 1) == 1, "write");
    char b;
    CHECK(read(p[0], &b, 1) == 1 && b == 'x', "pipe");
    /* No fd in the message: a clear error. */
    CHECK(send(sv[0], "no-fd", 5, 0) == 5, "send");
    CHECK_ERR(process_recv_fd(sv[1], &fd, &err), err, "no file descriptor");
    close(sv[0]);
    CHECK_ERR(process_recv_fd(sv[1], &fd, &err), err, "peer closed");
}

/* ---- user ---- */

static void test_set_user(void)
{
    uint32_t gids[] = {5, 100, 4242};
    struct spec_process p = {.user = {.uid = 65534, .gid = 65534, .umask = {true, 027},
                                      .additional_gids = gids, .n_additional_gids = 3}};
    struct vse_err err = {0};
    CHECK(process_set_user(&p, &err) == 0, "%s", err.msg);
    uid_t r, e, s;
    getresuid(&r, &e, &s);
    CHECK(r == 65534 && e == 65534 && s == 65534, "uids %u %u %u", r, e, s);
    gid_t gr, ge, gs;
    getresgid(&gr, &ge, &gs);
    CHECK(gr == 65534 && ge == 65534 && gs == 65534, "gids %u %u %u", gr, ge, gs);
    gid_t groups[16];
    int n = getgroups(16, groups);
    CHECK(n == 3 && groups[0] == 5 && groups[1] == 100 && groups[2] == 4242, "%d groups", n);
    mode_t old = umask(0);
    CHECK(old == 027, "umask %o", old);
    /* KEEPCAPS: the permitted set survived the switch for security_apply_capabilities(). */
    cap_t c = cap_get_proc();
    cap_flag_value_t v;
    cap_get_flag(c, CAP_KILL, CAP_PERMITTED, &v);
    CHECK(v == CAP_SET, "permitted capabilities lost across setresuid");
    cap_free(c);
}

static void test_set_user_no_groups_default_umask(void)
{
    setgroups(2, (gid_t[]){7, 8});
    umask(0);
    struct spec_process p = {.user = {.uid = 1000, .gid = 1000}};
    struct vse_err err = {0};
    CHECK(process_set_user(&p, &err) == 0, "%s", err.msg);
    CHECK(getgroups(0, NULL) == 0, "supplementary groups left: %d", getgroups(0, NULL));
    CHECK(umask(0) == 022, "default umask not 022");
    CHECK(getuid() == 1000 && getgid() == 1000, "ids");
}

/* ---- cwd ---- */

static void test_chdir(void)
{
    struct spec_process p = {.cwd = "/tmp"};
    struct vse_err err = {0};
    CHECK(process_chdir(&p, &err) == 0, "%s", err.msg);
    char buf[64];
    CHECK(getcwd(buf, sizeof(buf)) && strcmp(buf, "/tmp") == 0, "cwd %s", buf);
    p.cwd = "tmp";
    CHECK_ERR(process_chdir(&p, &err), err, "process.cwd \"tmp\"", "absolute");
    p.cwd = "/proc/self/fd/3";
    CHECK_ERR(process_chdir(&p, &err), err, "/proc/self/fd/3", "CVE-2024-21626");
    p.cwd = "/proc/1/fd/7/x";
    CHECK_ERR(process_chdir(&p, &err), err, "CVE-2024-21626");
    p.cwd = "/vse-no-such-dir";
    CHECK_ERR(process_chdir(&p, &err), err, "process.cwd", "/vse-no-such-dir",
              "No such file");
}

/* A cwd that resolves to a directory outside the root (here via the parent's /proc/PID/cwd
 * magic link, which crosses the chroot) is caught by the getcwd check. */
static void test_chdir_outside_root(void)
{
    _cleanup_free_ char *dir = make_tmpdir();
    _cleanup_free_ char *root = vse_asprintf("%s/root", dir);
    _cleanup_free_ char *proc = vse_asprintf("%s/root/proc", dir);
    CHECK(mkdir(root, 0755) == 0 && mkdir(proc, 0755) == 0, "mkdir: %m");
    pid_t parent = getpid();
    CHECK(chdir(dir) == 0, "chdir");
    pid_t pid = fork();
    if (pid == 0) {
        CHECK(unshare(CLONE_NEWNS) == 0, "unshare: %m");
        CHECK(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0, "make private: %m");
        CHECK(mount("proc", proc, "proc", 0, NULL) == 0, "mount proc: %m");
        CHECK(chroot(root) == 0, "chroot: %m");
        _cleanup_free_ char *cwd = vse_asprintf("/proc/%d/cwd", parent);
        struct spec_process p = {.cwd = cwd};
        struct vse_err err = {0};
        CHECK_ERR(process_chdir(&p, &err), err, "outside the container's root",
                  "CVE-2024-21626");
        _exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    chdir("/");
    rmdir(proc);
    rmdir(root);
    rmdir(dir);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child failed");
}

/* ---- exec ---- */

static int exec_in_child(struct spec_process *p, char *msg, size_t len)
{
    int pfd[2];
    CHECK(pipe2(pfd, O_CLOEXEC) == 0, "pipe");
    pid_t pid = fork();
    if (pid == 0) {
        struct vse_err err = {0};
        process_exec(p, &err);
        (void) !write(pfd[1], err.msg, strlen(err.msg));
        _exit(120);
    }
    close(pfd[1]);
    ssize_t n = read(pfd[0], msg, len - 1);
    msg[n > 0 ? n : 0] = '\0';
    close(pfd[0]);
    int status;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void test_exec(void)
{
    char msg[512];
    char *args1[] = {"sh", "-c", "exit 7", NULL};
    char *env1[] = {"PATH=/vse-nonexistent:/bin:/usr/bin", NULL};
    struct spec_process p = {.args = args1, .env = env1};
    CHECK(exec_in_child(&p, msg, sizeof(msg)) == 7, "PATH search: %s", msg);

    char *args2[] = {"/bin/sh", "-c", "test \"$VSE_X\" = 1", NULL};
    char *env2[] = {"VSE_X=1", NULL};
    p = (struct spec_process){.args = args2, .env = env2};
    CHECK(exec_in_child(&p, msg, sizeof(msg)) == 0, "env not passed: %s", msg);

    /* no PATH in env: the default one */
    char *args3[] = {"true", NULL};
    p = (struct spec_process){.args = args3, .env = env2};
    CHECK(exec_in_child(&p, msg, sizeof(msg)) == 0, "default PATH: %s", msg);
}

static void test_exec_errors(void)
{
    char msg[512];
    char *args1[] = {"vse-no-such-cmd", NULL};
    char *env1[] = {"PATH=/vse-nonexistent:/bin", NULL};
    struct spec_process p = {.args = args1, .env = env1};
    CHECK(exec_in_child(&p, msg, sizeof(msg)) == 120, "exit");
    CHECK(strcmp(msg, "exec \"vse-no-such-cmd\": executable file not found in $PATH") == 0,
          "got \"%s\"", msg);

    _cleanup_free_ char *dir = make_tmpdir();
    _cleanup_free_ char *file = vse_asprintf("%s/noexec", dir);
    int fd = open(file, O_WRONLY | O_CREAT, 0644);
    CHECK(fd >= 0, "create");
    close(fd);
    char *args2[] = {file, NULL};
    p = (struct spec_process){.args = args2};
    exec_in_child(&p, msg, sizeof(msg));
    _cleanup_free_ char *want = vse_asprintf("exec \"%s\": Permission denied", file);
    CHECK(strcmp(msg, want) == 0, "got \"%s\"", msg);

    /* Found in PATH but not executable: permission denied naming the file. */
    char *args3[] = {"noexec", NULL};
    _cleanup_free_ char *pathenv = vse_asprintf("PATH=/vse-nonexistent:%s", dir);
    char *env3[] = {pathenv, NULL};
    p = (struct spec_process){.args = args3, .env = env3};
    exec_in_child(&p, msg, sizeof(msg));
    CHECK(strcmp(msg, want) == 0, "got \"%s\"", msg);

    char *args4[] = {"/vse/missing", NULL};
    p = (struct spec_process){.args = args4};
    exec_in_child(&p, msg, sizeof(msg));
    CHECK(strcmp(msg, "exec \"/vse/missing\": No such file or directory") == 0, "got \"%s\"",
          msg);
    unlink(file);
    rmdir(dir);

    struct vse_err err = {0};
    p = (struct spec_process){0};
    CHECK_ERR(process_exec(&p, &err), err, "process.args");
}

static void test_find_executable(void)
{
    struct vse_err err = {0};
    char *args1[] = {"sh", NULL};
    char *env1[] = {"PATH=/vse-nonexistent:/bin", NULL};
    struct spec_process p = {.args = args1, .env = env1};
    _cleanup_free_ char *path = NULL;
    CHECK(process_find_executable(&p, &path, &err) == 0, "%s", err.msg);
    CHECK(strcmp(path, "/bin/sh") == 0, "path %s", path);
    char *args2[] = {"vse-no-such-cmd", NULL};
    p.args = args2;
    CHECK_ERR(process_find_executable(&p, NULL, &err), err,
              "exec \"vse-no-such-cmd\": executable file not found in $PATH");
    char *args3[] = {"/etc/passwd", NULL};
    p.args = args3;
    CHECK_ERR(process_find_executable(&p, NULL, &err), err,
              "exec \"/etc/passwd\": Permission denied");
    char *args4[] = {"/etc", NULL};
    p.args = args4;
    CHECK_ERR(process_find_executable(&p, NULL, &err), err, "exec \"/etc\": Permission denied");
    char *args5[] = {"/vse/missing", NULL};
    p.args = args5;
    CHECK_ERR(process_find_executable(&p, NULL, &err), err,
              "exec \"/vse/missing\": No such file or directory");
}

/* ---- fds ---- */

static void test_close_fds_from(void)
{
    int fds[6];
    for (int i = 0; i < 6; i++)
        fds[i] = open("/dev/null", O_RDONLY);
    int keep[] = {fds[4], fds[1]};
    CHECK(process_close_fds_from(fds[0], keep, 2) == 0, "close_fds_from");
    for (int i = 0; i < 6; i++) {
        bool open_now = fcntl(fds[i], F_GETFD) >= 0;
        bool want = (i == 1 || i == 4);
        CHECK(open_now == want, "fd %d open=%d", fds[i], open_now);
    }
    CHECK(process_close_fds_from(fds[0], NULL, 0) == 0, "close all");
    CHECK(fcntl(fds[1], F_GETFD) < 0 && fcntl(fds[4], F_GETFD) < 0, "kept fds not closed");
}

/* Only fds without FD_CLOEXEC (left to us by our caller) go, and only from first_fd up. */
static void test_close_inherited_fds(void)
{
    int low = open("/dev/null", O_RDONLY);
    int inherited = open("/dev/null", O_RDONLY);
    int own = open("/dev/null", O_RDONLY | O_CLOEXEC);
    CHECK(low >= 0 && inherited > low && own > inherited, "open: %m");
    CHECK(process_close_inherited_fds(inherited) == 0, "close_inherited_fds");
    CHECK(fcntl(low, F_GETFD) >= 0, "fd %d below first_fd was closed", low);
    CHECK(fcntl(inherited, F_GETFD) < 0, "inherited fd %d still open", inherited);
    CHECK(fcntl(own, F_GETFD) >= 0, "close-on-exec fd %d was closed", own);
    close(low);
    close(own);
}

int main(void)
{
    if (geteuid() != 0) {
        printf("process unit tests need root (setresuid, unshare, chroot); skipped\n");
        return 77;
    }
    struct test_counts c = {0};
    RUN(&c, test_rlimits_applied);
    RUN(&c, test_rlimit_raise_without_cap_sys_resource);
    RUN(&c, test_rlimit_soft_above_hard);
    RUN(&c, test_oom_score_adj);
    RUN(&c, test_personality);
    RUN(&c, test_scheduler);
    RUN(&c, test_scheduler_fifo);
    RUN(&c, test_io_priority);
    RUN(&c, test_cpu_affinity);
    RUN(&c, test_pty_console_size);
    RUN(&c, test_attach_terminal);
    RUN(&c, test_console_socket_round_trip);
    RUN(&c, test_send_recv_fd);
    RUN(&c, test_set_user);
    RUN(&c, test_set_user_no_groups_default_umask);
    RUN(&c, test_chdir);
    RUN(&c, test_chdir_outside_root);
    RUN(&c, test_exec);
    RUN(&c, test_exec_errors);
    RUN(&c, test_find_executable);
    RUN(&c, test_close_fds_from);
    RUN(&c, test_close_inherited_fds);
    return test_summary(&c);
}
