/* Unit tests of ns/: real namespaces made in forked children, so the host is never touched. */
#include "ns/ns.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static int failures;

#define CHECK(cond)                                                                               \
    do {                                                                                          \
        if (!(cond)) {                                                                            \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);             \
            failures++;                                                                           \
        }                                                                                         \
    } while (0)

static struct spec *parse(const char *json)
{
    struct spec *s = NULL;
    struct vse_err err = {0};
    if (spec_parse(json, &s, &err) < 0) {
        fprintf(stderr, "spec_parse: %s\n", err.msg);
        exit(2);
    }
    return s;
}

#define CONFIG_WITH(linux_json)                                                                   \
    "{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"rootfs\"},\"hostname\":\"vse-unit\","      \
    "\"linux\":" linux_json "}"

static void test_flags(void)
{
    CHECK(ns_clone_flag(SPEC_NS_PID) == CLONE_NEWPID);
    CHECK(ns_clone_flag(SPEC_NS_NETWORK) == CLONE_NEWNET);
    CHECK(ns_clone_flag(SPEC_NS_MOUNT) == CLONE_NEWNS);
    CHECK(ns_clone_flag(SPEC_NS_USER) == CLONE_NEWUSER);
    CHECK(ns_clone_flag(SPEC_NS_TIME) == CLONE_NEWTIME);
    _cleanup_spec_ struct spec *s = parse(CONFIG_WITH(
        "{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"uts\"},"
        "{\"type\":\"network\",\"path\":\"/proc/self/ns/net\"}]}"));
    CHECK(ns_new_flags(s) == (CLONE_NEWPID | CLONE_NEWUTS));
}

static void test_open_paths(void)
{
    _cleanup_spec_ struct spec *ok = parse(CONFIG_WITH(
        "{\"namespaces\":[{\"type\":\"network\",\"path\":\"/proc/self/ns/net\"},"
        "{\"type\":\"pid\"}]}"));
    int fds[SPEC_NS_COUNT];
    struct vse_err err = {0};
    CHECK(ns_open_paths(ok, fds, &err) == 0);
    CHECK(fds[SPEC_NS_NETWORK] >= 0 && fds[SPEC_NS_PID] == -1);
    /* Joining our own network namespace is a valid setns. */
    CHECK(ns_join_fds(fds, 0, &err) == 0);
    ns_close_fds(fds);
    CHECK(fds[SPEC_NS_NETWORK] == -1);

    _cleanup_spec_ struct spec *bad = parse(CONFIG_WITH(
        "{\"namespaces\":[{\"type\":\"pid\"},"
        "{\"type\":\"ipc\",\"path\":\"/nonexistent/vse-ns\"}]}"));
    CHECK(ns_open_paths(bad, fds, &err) == -ENOENT);
    CHECK(strstr(err.msg, "linux.namespaces[1].path") != NULL);
    CHECK(strstr(err.msg, "/nonexistent/vse-ns") != NULL);
}

static void test_sysctl_refusals(void)
{
    struct vse_err err = {0};
    _cleanup_spec_ struct spec *host = parse(CONFIG_WITH(
        "{\"namespaces\":[{\"type\":\"network\"}],\"sysctl\":{\"vm.swappiness\":\"10\"}}"));
    CHECK(ns_apply_sysctl(host->linux_, &err) == -EPERM);
    CHECK(strstr(err.msg, "linux.sysctl.vm.swappiness") != NULL);

    _cleanup_spec_ struct spec *no_netns = parse(CONFIG_WITH(
        "{\"namespaces\":[{\"type\":\"pid\"}],\"sysctl\":{\"net.ipv4.ip_forward\":\"1\"}}"));
    CHECK(ns_apply_sysctl(no_netns->linux_, &err) == -EPERM);
    CHECK(strstr(err.msg, "network namespace") != NULL);

    /* The parser already refuses such keys; ns/ must not rely on that. */
    struct spec_namespace netns = {.type = SPEC_NS_NETWORK};
    struct spec_kv kv = {.key = (char *) "net/../../kernel/hostname", .value = (char *) "x"};
    struct spec_linux escape = {.namespaces = &netns, .n_namespaces = 1, .sysctl = &kv,
                                .n_sysctl = 1};
    CHECK(ns_apply_sysctl(&escape, &err) < 0);
    CHECK(strstr(err.msg, "invalid key") != NULL);
}

/* Runs fn in a forked child; returns its exit status. */
static int in_child(int (*fn)(void *), void *arg)
{
    pid_t pid = fork();
    if (pid == 0)
        _exit(fn(arg));
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 100;
}

static int uts_child(void *arg)
{
    const struct spec *s = arg;
    if (unshare(CLONE_NEWUTS) < 0)
        return 3;
    struct vse_err err = {0};
    if (ns_apply_uts(s, &err) < 0)
        return 4;
    char name[64] = "";
    gethostname(name, sizeof(name));
    return strcmp(name, "vse-unit") == 0 ? 0 : 5;
}

static void test_uts(void)
{
    _cleanup_spec_ struct spec *s = parse(CONFIG_WITH("{\"namespaces\":[{\"type\":\"uts\"}]}"));
    CHECK(in_child(uts_child, s) == 0);
    /* Without a uts namespace the hostname would be the host's: refused. */
    _cleanup_spec_ struct spec *no_uts = parse(CONFIG_WITH("{\"namespaces\":[]}"));
    struct vse_err err = {0};
    CHECK(ns_apply_uts(no_uts, &err) == -EINVAL);
    CHECK(strstr(err.msg, "hostname") != NULL);
}

static void test_id_mappings(void)
{
    _cleanup_spec_ struct spec *s = parse(CONFIG_WITH(
        "{\"namespaces\":[{\"type\":\"user\"}],"
        "\"uidMappings\":[{\"containerID\":0,\"hostID\":100000,\"size\":65536}],"
        "\"gidMappings\":[{\"containerID\":0,\"hostID\":100000,\"size\":65536}]}"));
    int to_child[2], to_parent[2];
    if (pipe(to_child) < 0 || pipe(to_parent) < 0)
        exit(2);
    pid_t pid = fork();
    if (pid == 0) {
        char c = 0;
        if (unshare(CLONE_NEWUSER) < 0)
            _exit(3);
        if (write(to_parent[1], "u", 1) != 1 || read(to_child[0], &c, 1) != 1)
            _exit(4);
        _cleanup_free_ char *map = NULL;
        struct vse_err err = {0};
        if (vse_read_file_at(AT_FDCWD, "/proc/self/uid_map", &map, NULL, &err) < 0)
            _exit(5);
        unsigned a, b, n;
        if (sscanf(map, "%u %u %u", &a, &b, &n) != 3 || a != 0 || b != 100000 || n != 65536)
            _exit(6);
        _exit(setresuid(0, 0, 0) == 0 && getuid() == 0 ? 0 : 7);
    }
    char c;
    CHECK(read(to_parent[0], &c, 1) == 1);
    struct vse_err err = {0};
    CHECK(ns_write_id_mappings(pid, s->linux_, &err) == 0);
    CHECK(write(to_child[1], "g", 1) == 1);
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);

    _cleanup_spec_ struct spec *nomap =
        parse(CONFIG_WITH("{\"namespaces\":[{\"type\":\"user\"}]}"));
    CHECK(ns_write_id_mappings(getpid(), nomap->linux_, &err) == -EINVAL);
    CHECK(strstr(err.msg, "linux.uidMappings") != NULL);
}

static int time_child(void *arg)
{
    const struct spec *s = arg;
    if (unshare(CLONE_NEWTIME) < 0)
        return errno == EINVAL ? 42 : 3;
    struct vse_err err = {0};
    if (ns_write_time_offsets(0, s->linux_, &err) < 0)
        return 4;
    pid_t pid = fork(); /* the first process in the new time namespace */
    if (pid == 0) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        _exit(ts.tv_sec >= 1000000 ? 0 : 5);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 6;
}

static void test_time_offsets(void)
{
    _cleanup_spec_ struct spec *s = parse(CONFIG_WITH(
        "{\"namespaces\":[{\"type\":\"time\"}],"
        "\"timeOffsets\":{\"monotonic\":{\"secs\":1000000,\"nanosecs\":0}}}"));
    int r = in_child(time_child, s);
    if (r == 42) {
        printf("SKIP time offsets: kernel has no time namespaces (CONFIG_TIME_NS)\n");
        return;
    }
    CHECK(r == 0);
}

int main(void)
{
    test_flags();
    test_open_paths();
    test_sysctl_refusals();
    test_uts();
    test_id_mappings();
    test_time_offsets();
    if (failures) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    printf("ns: all checks passed\n");
    return 0;
}
