/* Unit tests of runtime/: id rules, signal names, state files and derived status, the state
 * JSON, the sync protocol and the hook runner. Everything lives under a private temp dir. */
#include "runtime/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "json/json.h"

static int failures;

#define CHECK(cond)                                                                               \
    do {                                                                                          \
        if (!(cond)) {                                                                            \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);             \
            failures++;                                                                           \
        }                                                                                         \
    } while (0)

static const char *CONFIG =
    "{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"rootfs\"},"
    "\"annotations\":{\"org.vse.test\":\"yes\"},"
    "\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\",\"user\":{\"uid\":0,\"gid\":0}}}";

static void test_ids(void)
{
    struct vse_err err = {0};
    CHECK(runtime_validate_id("vse-abc_1.2+x", &err) == 0);
    CHECK(runtime_validate_id("", &err) == -EINVAL);
    CHECK(runtime_validate_id(".", &err) == -EINVAL);
    CHECK(runtime_validate_id("..", &err) == -EINVAL);
    CHECK(runtime_validate_id("a/b", &err) == -EINVAL);
    CHECK(strstr(err.msg, "a/b") != NULL);
    CHECK(runtime_validate_id("a b", &err) == -EINVAL);
}

static void test_signals(void)
{
    struct vse_err err = {0};
    int sig = 0;
    CHECK(runtime_parse_signal("KILL", &sig, &err) == 0 && sig == SIGKILL);
    CHECK(runtime_parse_signal("SIGTERM", &sig, &err) == 0 && sig == SIGTERM);
    CHECK(runtime_parse_signal("hup", &sig, &err) == 0 && sig == SIGHUP);
    CHECK(runtime_parse_signal("9", &sig, &err) == 0 && sig == 9);
    CHECK(runtime_parse_signal("RTMIN+2", &sig, &err) == 0 && sig == SIGRTMIN + 2);
    CHECK(runtime_parse_signal("NOPE", &sig, &err) == -EINVAL);
    CHECK(strstr(err.msg, "NOPE") != NULL);
    CHECK(runtime_parse_signal("0", &sig, &err) == -EINVAL);
    CHECK(runtime_parse_signal("999", &sig, &err) == -EINVAL);
}

static char *make_tmpdir(void)
{
    char tmpl[] = "/tmp/vse-unit-XXXXXX";
    if (mkdtemp(tmpl) == NULL)
        exit(2);
    return vse_strdup(tmpl);
}

static void write_file(const char *path, const char *text)
{
    struct vse_err err = {0};
    if (vse_write_file_atomic(path, text, strlen(text), 0600, &err) < 0) {
        fprintf(stderr, "%s\n", err.msg);
        exit(2);
    }
}

/* A state dir for a container whose "init" is this test process. */
static void make_state(const struct vse_runtime *rt, const char *id, pid_t pid,
                       unsigned long long start)
{
    _cleanup_free_ char *dir = vse_asprintf("%s/%s", rt->root, id);
    mkdir(dir, 0700);
    _cleanup_free_ char *cfg = vse_asprintf("%s/config.json", dir);
    write_file(cfg, CONFIG);
    struct container_state st = {.id = (char *) id, .dir = dir, .pid = pid, .start_time = start,
                                 .bundle = (char *) "/b", .rootfs = (char *) "/b/rootfs",
                                 .created = (char *) "2026-01-01T00:00:00.000000000Z",
                                 .owner = (char *) "", .lock_fd = -1};
    struct vse_err err = {0};
    CHECK(container_state_save(&st, &err) == 0);
}

static void test_state(void)
{
    _cleanup_free_ char *root = make_tmpdir();
    struct vse_runtime rt = {.root = root};
    struct vse_err err = {0};
    unsigned long long me = 0;
    CHECK(proc_stat_start_time(getpid(), &me, NULL) == 0 && me > 0);

    struct container_state *st = NULL;
    CHECK(container_state_load(&rt, "missing", false, &st, &err) == -ENOENT);
    CHECK(strcmp(err.msg, "container does not exist") == 0);

    make_state(&rt, "live", getpid(), me);
    CHECK(container_state_load(&rt, "live", true, &st, &err) == 0);
    if (st) {
        CHECK(st->pid == getpid() && st->start_time == me && st->lock_fd >= 0);
        CHECK(strcmp(st->rootfs, "/b/rootfs") == 0);
        CHECK(container_state_status(st) == CONTAINER_RUNNING);
        _cleanup_free_ char *fifo = vse_asprintf("%s/exec.fifo", st->dir);
        CHECK(mkfifo(fifo, 0600) == 0);
        CHECK(container_state_status(st) == CONTAINER_CREATED);
        int pidfd = container_state_pidfd(st, &err);
        CHECK(pidfd >= 0);
        if (pidfd >= 0)
            close(pidfd);

        struct container_info ci = {0};
        CHECK(runtime_state(&rt, "live", &ci, &err) == 0);
        CHECK(ci.status == CONTAINER_CREATED && ci.pid == getpid());
        _cleanup_free_ char *json = runtime_state_json(&ci);
        _cleanup_json_ json_node *doc = NULL;
        CHECK(json_parse(json, &doc, &err) == 0);
        CHECK(strcmp(json_string(json_get(doc, "status")), "created") == 0);
        CHECK(strcmp(json_string(json_get(doc, "id")), "live") == 0);
        CHECK(strcmp(json_string(json_get(doc, "owner")), "") == 0);
        CHECK(json_string(json_get(json_get(doc, "annotations"), "org.vse.test")) != NULL);
        CHECK(json_get(doc, "ociVersion") != NULL && json_get(doc, "bundle") != NULL &&
              json_get(doc, "rootfs") != NULL && json_get(doc, "created") != NULL);
        container_info_free(&ci);
        container_state_free(st);
        st = NULL;
    }

    /* A pid whose start time does not match is a reused pid: stopped, and no pidfd. */
    make_state(&rt, "reused", getpid(), me + 12345);
    CHECK(container_state_load(&rt, "reused", false, &st, &err) == 0);
    if (st) {
        CHECK(container_state_status(st) == CONTAINER_STOPPED);
        CHECK(container_state_pidfd(st, &err) == -ESRCH);
        container_state_free(st);
        st = NULL;
    }

    struct container_info *list = NULL;
    size_t n = 0;
    CHECK(runtime_list(&rt, &list, &n, &err) == 0 && n == 2);
    container_info_list_free(list, n);

    /* No pid yet (create in progress): "creating" while someone holds the lock, a dead
     * creator's leftover ("stopped") otherwise. */
    make_state(&rt, "early", 0, 0);
    CHECK(container_state_load(&rt, "early", false, &st, &err) == 0);
    if (st) {
        CHECK(container_state_status(st) == CONTAINER_STOPPED);
        _cleanup_free_ char *lock = vse_asprintf("%s/lock", st->dir);
        _cleanup_close_ int creator = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        CHECK(creator >= 0 && flock(creator, LOCK_EX) == 0);
        CHECK(container_state_status(st) == CONTAINER_CREATING);
        container_state_free(st);
        st = NULL;
    }
    CHECK(runtime_delete(&rt, "early", false, &err) == 0);

    /* delete refuses a running container without force, with runc's wording. */
    _cleanup_free_ char *fifo = vse_asprintf("%s/live/exec.fifo", root);
    unlink(fifo);
    CHECK(runtime_delete(&rt, "live", false, &err) == -EBUSY);
    CHECK(strcmp(err.msg, "cannot delete container live that is not stopped: running") == 0);
    CHECK(runtime_delete(&rt, "reused", false, &err) == 0);
    _cleanup_free_ char *gone = vse_asprintf("%s/reused", root);
    CHECK(access(gone, F_OK) < 0 && errno == ENOENT);

    /* A directory without state.json (a create killed before its first state write) still
     * reads as "does not exist", and delete removes it, as runc does. */
    _cleanup_free_ char *stateless = vse_asprintf("%s/stateless", root);
    CHECK(mkdir(stateless, 0700) == 0);
    CHECK(runtime_delete(&rt, "stateless", true, &err) == -ENOENT);
    CHECK(strcmp(err.msg, "container does not exist") == 0);
    CHECK(access(stateless, F_OK) < 0 && errno == ENOENT);
    vse_rm_rf(root, &err);
}

static void test_sync(void)
{
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0);
    int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
    CHECK(sync_send(sv[0], SYNC_PTY, 7, "/dev/pts/9", devnull) == 0);
    CHECK(sync_send(sv[0], SYNC_ERROR, EACCES, "mounts[2] /proc: denied", -1) == 0);
    close(devnull);
    close(sv[0]);
    struct sync_msg m;
    int fd = -1;
    struct vse_err err = {0};
    CHECK(sync_expect(sv[1], SYNC_PTY, &m, &fd, &err) == 0);
    CHECK(m.value == 7 && strcmp(m.text, "/dev/pts/9") == 0 && fd >= 0);
    if (fd >= 0)
        close(fd);
    CHECK(sync_expect(sv[1], SYNC_READY, &m, NULL, &err) == -EACCES);
    CHECK(strcmp(err.msg, "mounts[2] /proc: denied") == 0);
    CHECK(sync_expect(sv[1], SYNC_READY, &m, NULL, &err) == -EPIPE);
    close(sv[1]);
}

static void test_hooks(void)
{
    _cleanup_free_ char *dir = make_tmpdir();
    _cleanup_free_ char *script = vse_asprintf("%s/hook.sh", dir);
    _cleanup_free_ char *out = vse_asprintf("%s/out", dir);
    write_file(script, "#!/bin/sh\ncat > \"$1\"\nexit \"$2\"\n");
    chmod(script, 0755);
    char *ok_args[] = {script, out, "0", NULL};
    char *fail_args[] = {script, out, "3", NULL};
    char *sleep_args[] = {"sleep", "10", NULL};
    struct spec_hook hooks[] = {
        {.path = script, .args = ok_args},
        {.path = script, .args = fail_args},
        {.path = "/bin/sleep", .args = sleep_args, .timeout = {true, 1}},
        {.path = "/nonexistent/vse-hook"},
    };
    struct vse_err err = {0};
    struct spec_hook_list one = {hooks, 1};
    CHECK(hooks_run(&one, "prestart", "{\"id\":\"x\"}", &err) == 0);
    _cleanup_free_ char *got = NULL;
    CHECK(vse_read_file_at(AT_FDCWD, out, &got, NULL, &err) == 0);
    CHECK(got && strcmp(got, "{\"id\":\"x\"}") == 0);

    struct spec_hook_list two = {hooks, 2};
    CHECK(hooks_run(&two, "prestart", "{}", &err) < 0);
    CHECK(strstr(err.msg, "hooks.prestart[1]") && strstr(err.msg, "status 3"));

    struct spec_hook_list slow = {&hooks[2], 1};
    CHECK(hooks_run(&slow, "poststart", "{}", &err) == -ETIMEDOUT);
    CHECK(strstr(err.msg, "timed out") != NULL);

    struct spec_hook_list missing = {&hooks[3], 1};
    CHECK(hooks_run(&missing, "createRuntime", "{}", &err) < 0);
    CHECK(strstr(err.msg, "/nonexistent/vse-hook") != NULL);
    vse_rm_rf(dir, &err);
}

/* The child of clone3_nondumpable is non-dumpable from its first instruction; the parent gets
 * its own setting back. */
static void test_clone3_nondumpable(void)
{
    CHECK(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) == 1);
    int pidfd = -1;
    pid_t pid = clone3_nondumpable(0, -1, &pidfd);
    if (pid == 0)
        _exit(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) == 0 ? 0 : 1);
    CHECK(pid > 0);
    CHECK(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) == 1);
    siginfo_t si = {0};
    CHECK(waitid(P_PIDFD, (id_t) pidfd, &si, WEXITED) == 0);
    CHECK(si.si_code == CLD_EXITED && si.si_status == 0);
    close(pidfd);
}

int main(void)
{
    test_ids();
    test_signals();
    test_state();
    test_sync();
    test_hooks();
    test_clone3_nondumpable();
    if (failures) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    printf("runtime: all checks passed\n");
    return 0;
}
