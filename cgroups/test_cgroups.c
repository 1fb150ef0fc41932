/* Unit tests of cgroups/: scratch trees that mimic v1, hybrid and v2 layouts (exact files and
 * values written), then real-kernel checks on this host's hierarchies with a unique
 * vse-test-<random> cgroup that is removed whatever happens. */
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroups/cgroups.h"
#include "cgroups/internal.h"
#include "common/cleanup.h"
#include "common/util.h"

static int failures, checks;

#define CHECK(cond, ...)                                                                          \
    do {                                                                                          \
        checks++;                                                                                 \
        if (!(cond)) {                                                                            \
            failures++;                                                                           \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                                  \
            fprintf(stderr, __VA_ARGS__);                                                         \
            fputc('\n', stderr);                                                                  \
        }                                                                                         \
    } while (0)

#define CHECK_OK(ret, err) CHECK((ret) == 0, "unexpected error %d: %s", (ret), (err).msg)

/* ---- scratch trees ---- */

static void put_file(const char *dir, const char *name, const char *content)
{
    _cleanup_free_ char *p = vse_asprintf("%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    if (f == NULL) {
        perror(p);
        exit(2);
    }
    fputs(content, f);
    fclose(f);
}

static void mkdirs(const char *path)
{
    struct vse_err err = {0};
    if (vse_mkdir_p(path, 0755, &err) < 0) {
        fprintf(stderr, "%s\n", err.msg);
        exit(2);
    }
}

/* The value written to a scratch file, without the trailing newline. */
static char *slurp(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *slurp(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    _cleanup_free_ char *path = NULL;
    if (vasprintf(&path, fmt, ap) < 0)
        abort();
    va_end(ap);
    char *text = NULL;
    struct vse_err err = {0};
    if (vse_read_file_at(AT_FDCWD, path, &text, NULL, &err) < 0)
        return vse_strdup("<missing>");
    text[strcspn(text, "\n")] = '\0';
    return text;
}

#define CHECK_FILE(expect, ...)                                                                   \
    do {                                                                                          \
        _cleanup_free_ char *got_ = slurp(__VA_ARGS__);                                           \
        CHECK(strcmp(got_, (expect)) == 0, "%s: got \"%s\", want \"%s\"", #__VA_ARGS__, got_,     \
              (expect));                                                                          \
    } while (0)

static const char *const v1_files[][2] = {
    {"memory", "memory.limit_in_bytes memory.soft_limit_in_bytes memory.swappiness "
               "memory.oom_control memory.kmem.tcp.limit_in_bytes memory.usage_in_bytes "
               "memory.stat"},
    {"cpu", "cpu.shares cpu.cfs_period_us cpu.cfs_quota_us cpu.cfs_burst_us cpu.idle "
            "cpu.rt_period_us cpu.rt_runtime_us cpu.stat"},
    {"cpuacct", "cpuacct.usage"},
    {"cpuset", "cpuset.cpus cpuset.mems"},
    {"devices", "devices.allow devices.deny"},
    {"freezer", "freezer.state"},
    {"blkio", "blkio.weight blkio.weight_device blkio.throttle.read_bps_device "
              "blkio.throttle.write_bps_device blkio.throttle.read_iops_device "
              "blkio.throttle.write_iops_device"},
    {"pids", "pids.max pids.current"},
};

/* A v1 tree with the container's cgroup pre-made (plain directories cannot grow files). */
static void make_v1_tree(const char *root, const char *rel, bool memsw)
{
    for (size_t i = 0; i < VSE_ARRAY_SIZE(v1_files); i++) {
        _cleanup_free_ char *top = vse_asprintf("%s/%s", root, v1_files[i][0]);
        _cleanup_free_ char *leaf = vse_asprintf("%s/%s", top, rel);
        mkdirs(leaf);
        put_file(top, "cgroup.procs", "");
        put_file(leaf, "cgroup.procs", "");
        _cleanup_free_ char *names = vse_strdup(v1_files[i][1]);
        char *save = NULL;
        for (char *n = strtok_r(names, " ", &save); n; n = strtok_r(NULL, " ", &save))
            put_file(leaf, n, "");
        if (strcmp(v1_files[i][0], "memory") == 0 && memsw)
            put_file(leaf, "memory.memsw.limit_in_bytes", "9223372036854771712\n");
    }
}

static void make_v2_dir(const char *dir, const char *controllers)
{
    mkdirs(dir);
    put_file(dir, "cgroup.controllers", controllers);
    put_file(dir, "cgroup.subtree_control", "");
    put_file(dir, "cgroup.procs", "");
}

static const char v2_leaf_files[] =
    "memory.max memory.swap.max memory.low memory.current memory.high cpu.weight cpu.max "
    "cpu.max.burst cpu.idle cpuset.cpus cpuset.mems pids.max io.weight io.max "
    "hugetlb.2MB.max cgroup.freeze cgroup.events";

static void make_v2_leaf(const char *leaf, const char *controllers)
{
    make_v2_dir(leaf, controllers);
    _cleanup_free_ char *names = vse_strdup(v2_leaf_files);
    char *save = NULL;
    for (char *n = strtok_r(names, " ", &save); n; n = strtok_r(NULL, " ", &save))
        put_file(leaf, n, "");
    put_file(leaf, "memory.max", "max\n");
}

static char *scratch_dir(void)
{
    char tmpl[] = "/tmp/vse-cgtest-XXXXXX";
    if (mkdtemp(tmpl) == NULL) {
        perror("mkdtemp");
        exit(2);
    }
    return vse_strdup(tmpl);
}

static void rm_scratch(const char *dir)
{
    struct vse_err err = {0};
    vse_rm_rf(dir, &err);
}

/* ---- pure functions ---- */

static void test_conversions(void)
{
    CHECK(cg_shares_to_weight(0) == 0, "shares 0");
    CHECK(cg_shares_to_weight(2) == 1, "shares 2");
    CHECK(cg_shares_to_weight(1024) == 100, "shares 1024 -> %llu",
          (unsigned long long) cg_shares_to_weight(1024));
    CHECK(cg_shares_to_weight(512) == 59, "shares 512");
    CHECK(cg_shares_to_weight(4096) == 303, "shares 4096");
    CHECK(cg_shares_to_weight(262144) == 10000, "shares max");
    CHECK(cg_blkio_to_io_weight(10) == 1, "blkio 10");
    CHECK(cg_blkio_to_io_weight(500) == 4950, "blkio 500");
    CHECK(cg_blkio_to_io_weight(1000) == 10000, "blkio 1000");
    struct vse_err err = {0};
    int64_t v = 0;
    CHECK(cg_swap_to_v2(200, 100, &v, &err) == 0 && v == 100, "swap 200/100");
    CHECK(cg_swap_to_v2(-1, 100, &v, &err) == 0 && v == -1, "swap -1");
    CHECK(cg_swap_to_v2(50, 100, &v, &err) == -EINVAL &&
              strstr(err.msg, "linux.resources.memory.swap") != NULL,
          "swap below limit: %s", err.msg);
    CHECK(cg_swap_to_v2(50, -1, &v, &err) == -EINVAL, "swap without limit");
}

static void test_paths(void)
{
    struct vse_err err = {0};
    char *rel = NULL;
    int removable = 0;
    CHECK(cg_compute_rel("abc", NULL, &rel, &removable, &err) == 0 &&
              strcmp(rel, "vse/abc") == 0 && removable == 2,
          "no path: %s %d", rel, removable);
    free(rel);
    CHECK(cg_compute_rel("abc", "pod1/ctr", &rel, &removable, &err) == 0 &&
              strcmp(rel, "vse/pod1/ctr") == 0 && removable == 3,
          "relative: %s %d", rel, removable);
    free(rel);
    CHECK(cg_compute_rel("abc", "/machine//x/", &rel, &removable, &err) == 0 &&
              strcmp(rel, "machine/x") == 0 && removable == 1,
          "absolute: %s %d", rel, removable);
    free(rel);
    rel = NULL;
    CHECK(cg_compute_rel("abc", "/", &rel, &removable, &err) == -EINVAL &&
              strstr(err.msg, "linux.cgroupsPath") != NULL,
          "root refused: %s", err.msg);
    CHECK(cg_compute_rel("abc", "a/../../b", &rel, &removable, &err) == -EINVAL &&
              strstr(err.msg, "..") != NULL,
          "dotdot refused: %s", err.msg);
    CHECK(cg_unified_key_valid("memory.high"), "memory.high valid");
    CHECK(!cg_unified_key_valid("../memory.high"), "../ invalid");
    CHECK(!cg_unified_key_valid("a/memory.high"), "slash invalid");
    CHECK(!cg_unified_key_valid("memory..high"), ".. invalid");
    CHECK(!cg_unified_key_valid("nodot"), "no dot invalid");
    CHECK(!cg_unified_key_valid(""), "empty invalid");
}

static void test_systemd_refused(void)
{
    struct vse_err err = {0};
    struct cgroup_manager *m = NULL;
    struct cgroup_opts o = {.id = "x", .systemd = true};
    CHECK(cgroup_manager_create(&o, NULL, &m, &err) == -ENOTSUP &&
              strcmp(err.msg, "--systemd-cgroup: the systemd cgroup driver is not available "
                              "yet") == 0,
          "systemd: %s", err.msg);
    CHECK(m == NULL, "no manager on failure");
}

/* ---- v1 scratch ---- */

static struct spec_memory mem_cfg;
static struct spec_cpu cpu_cfg;
static struct spec_blkio blkio_cfg;
static struct spec_blkio_throttle read_bps = {8, 0, 1048576};

static struct spec_resources v1_resources(void)
{
    mem_cfg = (struct spec_memory){
        .limit = {true, 104857600}, .swap = {true, 209715200}, .reservation = {true, 52428800},
        .swappiness = {true, 10}, .disable_oom_killer = {true, true},
    };
    cpu_cfg = (struct spec_cpu){.shares = {true, 512}, .period = {true, 100000},
                                .quota = {true, 50000}, .cpus = "0", .mems = "0"};
    blkio_cfg = (struct spec_blkio){.weight = {true, 500}, .throttle_read_bps = &read_bps,
                                    .n_throttle_read_bps = 1};
    return (struct spec_resources){.memory = &mem_cfg, .cpu = &cpu_cfg,
                                   .pids_limit = {true, 10}, .block_io = &blkio_cfg};
}

static void test_v1_scratch(void)
{
    _cleanup_free_ char *root = scratch_dir();
    make_v1_tree(root, "vse/t1", true);
    struct cgroup_opts o = {.id = "t1", .mount_root = root};
    struct vse_err err = {0};
    enum cgroup_mode mode;
    CHECK(cgroup_detect_mode(root, &mode, &err) == 0 && mode == CGROUP_MODE_V1, "v1 mode");
    struct spec_resources res = v1_resources();
    _cleanup_cgroup_manager_ struct cgroup_manager *m = NULL;
    int ret = cgroup_manager_create(&o, &res, &m, &err);
    CHECK_OK(ret, err);
    if (ret == 0) {
        CHECK(cgroup_manager_clone_fd(m) == -1, "no clone fd on v1");
        CHECK_FILE("104857600", "%s/memory/vse/t1/memory.limit_in_bytes", root);
        CHECK_FILE("209715200", "%s/memory/vse/t1/memory.memsw.limit_in_bytes", root);
        CHECK_FILE("52428800", "%s/memory/vse/t1/memory.soft_limit_in_bytes", root);
        CHECK_FILE("10", "%s/memory/vse/t1/memory.swappiness", root);
        CHECK_FILE("1", "%s/memory/vse/t1/memory.oom_control", root);
        CHECK_FILE("512", "%s/cpu/vse/t1/cpu.shares", root);
        CHECK_FILE("100000", "%s/cpu/vse/t1/cpu.cfs_period_us", root);
        CHECK_FILE("50000", "%s/cpu/vse/t1/cpu.cfs_quota_us", root);
        CHECK_FILE("0", "%s/cpuset/vse/t1/cpuset.cpus", root);
        CHECK_FILE("0", "%s/cpuset/vse/t1/cpuset.mems", root);
        CHECK_FILE("10", "%s/pids/vse/t1/pids.max", root);
        CHECK_FILE("500", "%s/blkio/vse/t1/blkio.weight", root);
        CHECK_FILE("8:0 1048576", "%s/blkio/vse/t1/blkio.throttle.read_bps_device", root);
        /* The default allow list comes last; its last entry is /dev/ptmx. */
        CHECK_FILE("c 5:2 rwm", "%s/devices/vse/t1/devices.allow", root);
        const char *p = cgroup_manager_path(m, "memory");
        _cleanup_free_ char *want = vse_asprintf("%s/memory/vse/t1", root);
        CHECK(p && strcmp(p, want) == 0, "memory path %s", p ? p : "(null)");

        /* state round trip */
        _cleanup_json_writer_ json_writer *w = json_writer_new(false);
        cgroup_manager_to_json(m, w);
        _cleanup_json_ json_node *n = NULL;
        CHECK(json_parse(json_writer_text(w, NULL), &n, &err) == 0, "state json parses");
        _cleanup_cgroup_manager_ struct cgroup_manager *m2 = NULL;
        ret = cgroup_manager_from_json(n, &o, &m2, &err);
        CHECK_OK(ret, err);
        if (ret == 0) {
            const char *p2 = cgroup_manager_path(m2, "pids");
            _cleanup_free_ char *want2 = vse_asprintf("%s/pids/vse/t1", root);
            CHECK(p2 && strcmp(p2, want2) == 0, "pids path after reload %s", p2 ? p2 : "-");
            CHECK(cgroup_manager_mode(m2) == CGROUP_MODE_V1, "mode after reload");
        }

        /* update: lowering memory+swap writes the limit before memsw */
        struct spec_memory lower = {.limit = {true, 1048576}, .swap = {true, 2097152}};
        struct spec_resources upd = {.memory = &lower};
        put_file(want, "memory.memsw.limit_in_bytes", "209715200\n");
        put_file(want, "memory.limit_in_bytes", "");
        ret = cgroup_manager_update(m, &upd, &err);
        CHECK_OK(ret, err);
        CHECK_FILE("1048576", "%s/memory/vse/t1/memory.limit_in_bytes", root);
        CHECK_FILE("2097152", "%s/memory/vse/t1/memory.memsw.limit_in_bytes", root);
    }
    rm_scratch(root);
}

static void test_v1_errors(void)
{
    _cleanup_free_ char *root = scratch_dir();
    make_v1_tree(root, "vse/t2", false); /* no memsw: swap accounting off */
    struct cgroup_opts o = {.id = "t2", .mount_root = root};
    struct vse_err err = {0};
    struct cgroup_manager *m = NULL;

    struct spec_memory mem = {.limit = {true, 1 << 20}, .swap = {true, 2 << 20}};
    struct spec_resources res = {.memory = &mem};
    CHECK(cgroup_manager_create(&o, &res, &m, &err) == -ENOENT, "missing memsw");
    _cleanup_free_ char *want = vse_asprintf("linux.resources.memory.swap: %s/memory/vse/t2/"
                                             "memory.memsw.limit_in_bytes: No such file or "
                                             "directory", root);
    CHECK(strcmp(err.msg, want) == 0, "memsw message: %s", err.msg);

    make_v1_tree(root, "vse/t2", false);
    struct spec_resources net = {.net_class_id = {true, 0x100001}};
    CHECK(cgroup_manager_create(&o, &net, &m, &err) == -ENOTSUP &&
              strstr(err.msg, "linux.resources.network.classID: the net_cls controller is not "
                              "available") != NULL,
          "net_cls message: %s", err.msg);

    make_v1_tree(root, "vse/t2", false);
    struct spec_hugepage_limit hl = {"2MB", 1 << 21};
    struct spec_resources huge = {.hugepage_limits = &hl, .n_hugepage_limits = 1};
    CHECK(cgroup_manager_create(&o, &huge, &m, &err) == -ENOTSUP &&
              strstr(err.msg, "linux.resources.hugepageLimits: the hugetlb controller is not "
                              "available") != NULL,
          "hugetlb message: %s", err.msg);

    make_v1_tree(root, "vse/t2", false);
    struct spec_kv kv = {"memory.high", "1G"};
    struct spec_resources uni = {.unified = &kv, .n_unified = 1};
    CHECK(cgroup_manager_create(&o, &uni, &m, &err) == -ENOTSUP &&
              strstr(err.msg, "linux.resources.unified: this host has no cgroup v2") != NULL,
          "unified on v1: %s", err.msg);

    make_v1_tree(root, "vse/t2", false);
    struct spec_device_rule bad = {.allow = true, .type = 'c', .major = 1, .minor = 3,
                                   .access = "rwx"};
    struct spec_resources dev = {.devices = &bad, .n_devices = 1};
    CHECK(cgroup_manager_create(&o, &dev, &m, &err) == -EINVAL &&
              strstr(err.msg, "linux.resources.devices[0].access") != NULL,
          "bad access: %s", err.msg);
    CHECK(m == NULL, "nothing returned on failure");
    rm_scratch(root);
}

/* ---- hybrid scratch: hugetlb and unified keys go to the v2 side ---- */

static void test_hybrid_scratch(void)
{
    _cleanup_free_ char *root = scratch_dir();
    make_v1_tree(root, "vse/t3", true);
    _cleanup_free_ char *uni = vse_asprintf("%s/unified", root);
    make_v2_dir(uni, "hugetlb\n");
    _cleanup_free_ char *vse = vse_asprintf("%s/vse", uni);
    make_v2_dir(vse, "hugetlb\n");
    _cleanup_free_ char *leaf = vse_asprintf("%s/t3", vse);
    make_v2_leaf(leaf, "hugetlb\n");
    struct vse_err err = {0};
    enum cgroup_mode mode;
    CHECK(cgroup_detect_mode(root, &mode, &err) == 0 && mode == CGROUP_MODE_HYBRID, "hybrid");

    struct cgroup_opts o = {.id = "t3", .mount_root = root};
    struct spec_hugepage_limit hl = {"2MB", 4194304};
    struct spec_kv kv = {"memory.high", "1G"};
    struct spec_resources res = {.hugepage_limits = &hl, .n_hugepage_limits = 1};
    _cleanup_cgroup_manager_ struct cgroup_manager *m = NULL;
    int ret = cgroup_manager_create(&o, &res, &m, &err);
    CHECK_OK(ret, err);
    CHECK_FILE("4194304", "%s/hugetlb.2MB.max", leaf);
    CHECK_FILE("+hugetlb", "%s/cgroup.subtree_control", vse);
    if (m)
        CHECK(cgroup_manager_clone_fd(m) == -1, "no clone fd on hybrid");

    /* unified key present on the v2 side */
    res = (struct spec_resources){.unified = &kv, .n_unified = 1};
    ret = cgroup_manager_update(m, &res, &err);
    CHECK_OK(ret, err);
    CHECK_FILE("1G", "%s/memory.high", leaf);

    /* hugetlb not passed down by the host's root: a clear error */
    make_v2_leaf(leaf, "");
    struct cgroup_manager *m2 = NULL;
    res = (struct spec_resources){.hugepage_limits = &hl, .n_hugepage_limits = 1};
    CHECK(cgroup_manager_create(&o, &res, &m2, &err) == -ENOTSUP &&
              strstr(err.msg, "not enabled for") && strstr(err.msg, leaf),
          "hugetlb not enabled: %s", err.msg);
    rm_scratch(root);
}

/* ---- v2 scratch ---- */

static void test_v2_scratch(void)
{
    _cleanup_free_ char *root = scratch_dir();
    const char *ctrls = "cpuset cpu io memory hugetlb pids\n";
    make_v2_dir(root, ctrls);
    _cleanup_free_ char *vse = vse_asprintf("%s/vse", root);
    make_v2_dir(vse, ctrls);
    _cleanup_free_ char *leaf = vse_asprintf("%s/t4", vse);
    make_v2_leaf(leaf, ctrls);
    struct vse_err err = {0};
    enum cgroup_mode mode;
    CHECK(cgroup_detect_mode(root, &mode, &err) == 0 && mode == CGROUP_MODE_V2, "v2");

    struct cgroup_opts o = {.id = "t4", .mount_root = root};
    _cleanup_cgroup_manager_ struct cgroup_manager *m = NULL;
    int ret = cgroup_manager_create(&o, NULL, &m, &err);
    CHECK_OK(ret, err);
    if (ret < 0) {
        rm_scratch(root);
        return;
    }
    CHECK(cgroup_manager_clone_fd(m) >= 0, "clone fd on v2");
    CHECK_FILE("+pids", "%s/cgroup.subtree_control", vse);

    /* Resources through update (create would attach a BPF program, which needs a real
     * cgroup2 directory; the real-kernel test covers that). */
    struct spec_memory mem = {.limit = {true, 104857600}, .swap = {true, 209715200},
                              .reservation = {true, 1048576}};
    struct spec_cpu cpu = {.shares = {true, 1024}, .quota = {true, 50000},
                           .period = {true, 100000}, .burst = {true, 1000}, .cpus = "0-1",
                           .mems = "0"};
    struct spec_blkio_throttle wiops = {8, 16, 0};
    struct spec_blkio bio = {.weight = {true, 500}, .throttle_read_bps = &read_bps,
                             .n_throttle_read_bps = 1};
    struct spec_hugepage_limit hl = {"2MB", 2097152};
    struct spec_kv kv = {"memory.high", "max"};
    struct spec_resources res = {.memory = &mem, .cpu = &cpu, .pids_limit = {true, -1},
                                 .block_io = &bio, .hugepage_limits = &hl,
                                 .n_hugepage_limits = 1, .unified = &kv, .n_unified = 1};
    ret = cgroup_manager_update(m, &res, &err);
    CHECK_OK(ret, err);
    CHECK_FILE("104857600", "%s/memory.max", leaf);
    CHECK_FILE("104857600", "%s/memory.swap.max", leaf);
    CHECK_FILE("1048576", "%s/memory.low", leaf);
    CHECK_FILE("100", "%s/cpu.weight", leaf);
    CHECK_FILE("50000 100000", "%s/cpu.max", leaf);
    CHECK_FILE("1000", "%s/cpu.max.burst", leaf);
    CHECK_FILE("0-1", "%s/cpuset.cpus", leaf);
    CHECK_FILE("max", "%s/pids.max", leaf);
    CHECK_FILE("4950", "%s/io.weight", leaf);
    CHECK_FILE("8:0 rbps=1048576", "%s/io.max", leaf);
    CHECK_FILE("2097152", "%s/hugetlb.2MB.max", leaf);
    CHECK_FILE("max", "%s/memory.high", leaf);

    /* quota alone keeps the kernel's period; unlimited quota is "max" */
    struct spec_cpu q = {.quota = {true, -1}, .period = {true, 200000}};
    res = (struct spec_resources){.cpu = &q};
    CHECK_OK(cgroup_manager_update(m, &res, &err), err);
    CHECK_FILE("max 200000", "%s/cpu.max", leaf);
    struct spec_blkio b2 = {.throttle_write_iops = &wiops, .n_throttle_write_iops = 1};
    res = (struct spec_resources){.block_io = &b2};
    CHECK_OK(cgroup_manager_update(m, &res, &err), err);
    CHECK_FILE("8:16 wiops=max", "%s/io.max", leaf);

    /* swap only: converted against the current memory.max */
    put_file(leaf, "memory.max", "1000\n");
    struct spec_memory swap_only = {.swap = {true, 3000}};
    res = (struct spec_resources){.memory = &swap_only};
    CHECK_OK(cgroup_manager_update(m, &res, &err), err);
    CHECK_FILE("2000", "%s/memory.swap.max", leaf);

    /* unified keys: validated, and a missing file is an error naming it */
    struct spec_kv badkey = {"../cgroup.procs", "1"};
    res = (struct spec_resources){.unified = &badkey, .n_unified = 1};
    CHECK(cgroup_manager_update(m, &res, &err) == -EINVAL &&
              strstr(err.msg, "invalid key \"../cgroup.procs\""),
          "bad key: %s", err.msg);
    struct spec_kv nofile = {"memory.nosuch", "1"};
    res = (struct spec_resources){.unified = &nofile, .n_unified = 1};
    _cleanup_free_ char *want = vse_asprintf("linux.resources.unified.memory.nosuch: %s/"
                                             "memory.nosuch: No such file or directory", leaf);
    CHECK(cgroup_manager_update(m, &res, &err) == -ENOENT &&
              strncmp(err.msg, want, strlen(want)) == 0,
          "missing unified file: %s", err.msg);
    struct spec_resources net = {.net_class_id = {true, 1}};
    CHECK(cgroup_manager_update(m, &net, &err) == -ENOTSUP &&
              strstr(err.msg, "linux.resources.network"),
          "network on v2: %s", err.msg);
    struct spec_cpu rt = {.realtime_runtime = {true, 1000}};
    res = (struct spec_resources){.cpu = &rt};
    CHECK(cgroup_manager_update(m, &res, &err) == -ENOTSUP && strstr(err.msg, "realtime"),
          "rt on v2: %s", err.msg);

    /* a controller the parent does not pass down */
    put_file(leaf, "cgroup.controllers", "memory\n");
    _cleanup_cgroup_manager_ struct cgroup_manager *m3 = NULL;
    CHECK_OK(cgroup_manager_create(&o, NULL, &m3, &err), err);
    struct spec_resources pids = {.pids_limit = {true, 5}};
    if (m3)
        CHECK(cgroup_manager_update(m3, &pids, &err) == -ENOTSUP &&
                  strstr(err.msg, "linux.resources.pids.limit: the pids controller is not "
                                  "enabled"),
              "pids not enabled: %s", err.msg);
    rm_scratch(root);
}

/* ---- BPF program shape ---- */

static void test_device_rule_order(void)
{
    struct spec_device_rule deny = {.allow = false, .type = 'a', .major = -1, .minor = -1};
    struct spec_resources res = {.devices = &deny, .n_devices = 1};
    struct cg_dev_rule fuse = {true, 'c', 10, 229, 7};
    struct cg_dev_rule *rules = NULL;
    size_t n = 0;
    struct vse_err err = {0};
    CHECK_OK(cg_dev_rules(&res, &fuse, 1, &rules, &n, &err), err);
    CHECK(n == 12 && !rules[0].allow && rules[0].type == 'a', "config rule first");
    CHECK(n == 12 && rules[1].allow && rules[1].major == 10 && rules[1].minor == 229,
          "linux.devices rule after the config's");
    CHECK(n == 12 && rules[2].access == CG_DEV_MKNOD && rules[11].major == 5 &&
              rules[11].minor == 2,
          "runc's defaults last");
    free(rules);
}

static void test_bpf_build(void)
{
    struct cg_dev_rule rules[] = {
        {false, 'a', -1, -1, 7},
        {true, 'c', 1, 3, CG_DEV_READ | CG_DEV_WRITE},
    };
    void *raw = NULL;
    size_t n = 0;
    cg_bpf_devices_build(rules, 2, &raw, &n);
    struct bpf_insn *in = raw;
    /* prologue 6; rule c 1:3 rw: type, access (3), major, minor, mov, exit = 8;
     * rule a rwm deny: mov, exit = 2; no default after a rule that matches everything */
    CHECK(n == 16, "instruction count %zu", n);
    if (n == 16) {
        CHECK(in[6].code == (BPF_JMP | BPF_JNE | BPF_K) && in[6].imm == BPF_DEVCG_DEV_CHAR &&
                  in[6].off == 7,
              "type check jumps past the rule (off %d)", in[6].off);
        CHECK(in[8].imm == BPF_DEVCG_ACC_MKNOD, "allow rw rejects mknod (imm %d)", in[8].imm);
        CHECK(in[12].imm == 1 && in[13].code == (BPF_JMP | BPF_EXIT), "allow verdict");
        CHECK(in[14].imm == 0 && in[15].code == (BPF_JMP | BPF_EXIT), "deny-all verdict");
    }
    free(raw);
}

/* ---- real kernel ---- */

struct real_ctx {
    char *id;
    pid_t child;
    struct cgroup_manager *m;
    char *bpf_dir;
};

/* Whatever happened, nothing of the test stays: child killed, cgroups removed. */
static void real_cleanup(struct real_ctx *c)
{
    if (c->child > 0) {
        kill(c->child, SIGKILL);
        waitpid(c->child, NULL, 0);
        c->child = 0;
    }
    struct vse_err err = {0};
    if (c->m) {
        if (cgroup_manager_destroy(c->m, true, &err) < 0)
            fprintf(stderr, "cleanup: %s\n", err.msg);
        cgroup_manager_free(c->m);
        c->m = NULL;
    }
    if (c->bpf_dir) {
        rmdir(c->bpf_dir);
        free(c->bpf_dir);
        c->bpf_dir = NULL;
    }
    free(c->id);
}

static pid_t spawn_sleeper(void)
{
    pid_t pid = fork();
    if (pid == 0) {
        for (;;)
            pause();
    }
    return pid;
}

static bool proc_in_cgroup(pid_t pid, const char *needle)
{
    _cleanup_free_ char *path = vse_asprintf("/proc/%d/cgroup", (int) pid);
    _cleanup_free_ char *all = NULL;
    struct vse_err err = {0};
    if (vse_read_file_at(AT_FDCWD, path, &all, NULL, &err) < 0)
        return false;
    return strstr(all, needle) != NULL;
}

static void real_v1_checks(struct real_ctx *c)
{
    struct spec_device_rule rules[] = {{.allow = false, .type = 'a', .major = -1, .minor = -1,
                                        .access = "rwm"}};
    struct spec_memory mem = {.limit = {true, 64 << 20}, .swap = {true, 128 << 20}};
    struct spec_cpu cpu = {.shares = {true, 512}, .quota = {true, 20000},
                           .period = {true, 100000}, .cpus = "0"};
    struct spec_resources res = {.devices = rules, .n_devices = 1, .memory = &mem,
                                 .cpu = &cpu, .pids_limit = {true, 16}};
    struct cgroup_opts o = {.id = c->id};
    struct vse_err err = {0};
    int ret = cgroup_manager_create(&o, &res, &c->m, &err);
    CHECK_OK(ret, err);
    if (ret < 0)
        return;
    CHECK_FILE("67108864", "/sys/fs/cgroup/memory/vse/%s/memory.limit_in_bytes", c->id);
    CHECK_FILE("134217728", "/sys/fs/cgroup/memory/vse/%s/memory.memsw.limit_in_bytes", c->id);
    CHECK_FILE("16", "/sys/fs/cgroup/pids/vse/%s/pids.max", c->id);
    CHECK_FILE("512", "/sys/fs/cgroup/cpu/vse/%s/cpu.shares", c->id);
    CHECK_FILE("20000", "/sys/fs/cgroup/cpu/vse/%s/cpu.cfs_quota_us", c->id);
    CHECK_FILE("0", "/sys/fs/cgroup/cpuset/vse/%s/cpuset.cpus", c->id);
    _cleanup_free_ char *mems = slurp("/sys/fs/cgroup/cpuset/vse/%s/cpuset.mems", c->id);
    CHECK(mems[0] != '\0', "cpuset.mems inherited from the parent");
    _cleanup_free_ char *list = NULL;
    _cleanup_free_ char *lpath = vse_asprintf("/sys/fs/cgroup/devices/vse/%s/devices.list",
                                              c->id);
    vse_read_file_at(AT_FDCWD, lpath, &list, NULL, &err);
    CHECK(list && strstr(list, "c 1:3 rwm") && strstr(list, "c 136:* rwm") &&
              !strstr(list, "a *:* rwm"),
          "devices.list: %s", list ? list : "-");

    c->child = spawn_sleeper();
    ret = cgroup_manager_attach(c->m, c->child, &err);
    CHECK_OK(ret, err);
    _cleanup_free_ char *needle = vse_asprintf(":memory:/vse/%s", c->id);
    CHECK(proc_in_cgroup(c->child, needle), "child in the memory cgroup");
    _cleanup_free_ pid_t *pids = NULL;
    size_t n = 0;
    ret = cgroup_manager_pids(c->m, &pids, &n, &err);
    CHECK(ret == 0 && n == 1 && pids[0] == c->child, "pids lists the child (n=%zu)", n);

    bool frozen = true;
    CHECK(cgroup_manager_is_frozen(c->m, &frozen, &err) == 0 && !frozen, "not frozen");
    CHECK_OK(cgroup_manager_freeze(c->m, true, &err), err);
    CHECK(cgroup_manager_is_frozen(c->m, &frozen, &err) == 0 && frozen, "frozen");
    CHECK_OK(cgroup_manager_freeze(c->m, false, &err), err);
    CHECK(cgroup_manager_is_frozen(c->m, &frozen, &err) == 0 && !frozen, "thawed");

    struct cgroup_stats st;
    CHECK_OK(cgroup_manager_stats(c->m, &st, &err), err);
    CHECK(st.pids_current == 1 && st.pids_limit == 16, "pids stats %llu/%llu",
          (unsigned long long) st.pids_current, (unsigned long long) st.pids_limit);
    CHECK(st.memory_limit == 64 << 20, "memory stats limit %llu",
          (unsigned long long) st.memory_limit);
    int ofd = cgroup_manager_oom_fd(c->m, &err);
    CHECK(ofd >= 0, "oom fd: %s", err.msg);
    uint64_t ooms = 99;
    CHECK(cgroup_manager_oom_count(c->m, &ooms, &err) == 0 && ooms == 0, "oom count 0");

    /* update through a reloaded manager, as `vse update` does */
    _cleanup_json_writer_ json_writer *w = json_writer_new(false);
    cgroup_manager_to_json(c->m, w);
    _cleanup_json_ json_node *node = NULL;
    json_parse(json_writer_text(w, NULL), &node, &err);
    _cleanup_cgroup_manager_ struct cgroup_manager *m2 = NULL;
    CHECK_OK(cgroup_manager_from_json(node, &o, &m2, &err), err);
    struct spec_resources upd = {.pids_limit = {true, 32}};
    if (m2)
        CHECK_OK(cgroup_manager_update(m2, &upd, &err), err);
    CHECK_FILE("32", "/sys/fs/cgroup/pids/vse/%s/pids.max", c->id);

    CHECK_OK(cgroup_manager_kill_all(c->m, SIGKILL, &err), err);
    int status = 0;
    CHECK(waitpid(c->child, &status, 0) == c->child && WIFSIGNALED(status) &&
              WTERMSIG(status) == SIGKILL,
          "child killed by kill_all");
    c->child = 0;

    CHECK_OK(cgroup_manager_destroy(c->m, true, &err), err);
    cgroup_manager_free(c->m);
    c->m = NULL;
    _cleanup_free_ char *leaf = vse_asprintf("/sys/fs/cgroup/memory/vse/%s", c->id);
    CHECK(access(leaf, F_OK) < 0, "cgroup removed");
}

/* The v2 device filter, on this host's (controller-less) unified hierarchy: the child is
 * refused /dev/kmsg and allowed /dev/null. */
static void real_bpf_checks(struct real_ctx *c)
{
    c->bpf_dir = vse_asprintf("/sys/fs/cgroup/unified/%s-bpf", c->id);
    if (mkdir(c->bpf_dir, 0755) < 0) {
        printf("SKIP real BPF device check: mkdir %s: %s\n", c->bpf_dir, strerror(errno));
        return;
    }
    struct spec_device_rule deny = {.allow = false, .type = 'a', .major = -1, .minor = -1};
    struct spec_resources res = {.devices = &deny, .n_devices = 1};
    _cleanup_free_ struct cg_dev_rule *rules = NULL;
    size_t n = 0;
    struct vse_err err = {0};
    CHECK_OK(cg_dev_rules(&res, NULL, 0, &rules, &n, &err), err);
    int ret = cg_bpf_devices_apply(c->bpf_dir, rules, n, &err);
    CHECK_OK(ret, err);
    /* applying again replaces the program (update) */
    ret = cg_bpf_devices_apply(c->bpf_dir, rules, n, &err);
    CHECK_OK(ret, err);
    if (ret < 0)
        return;
    int pipefd[2];
    if (pipe(pipefd) < 0)
        return;
    c->child = fork();
    if (c->child == 0) {
        char go;
        close(pipefd[1]);
        if (read(pipefd[0], &go, 1) != 1)
            _exit(10);
        int null_fd = open("/dev/null", O_RDONLY);
        int kmsg_fd = open("/dev/kmsg", O_RDONLY);
        _exit((null_fd >= 0 ? 0 : 1) | (kmsg_fd < 0 && errno == EPERM ? 0 : 2));
    }
    close(pipefd[0]);
    _cleanup_free_ char *procs = vse_asprintf("%s/cgroup.procs", c->bpf_dir);
    char buf[32];
    snprintf(buf, sizeof(buf), "%d", (int) c->child);
    CHECK(vse_write_file_at(AT_FDCWD, procs, buf, strlen(buf), &err) == 0, "join: %s", err.msg);
    if (write(pipefd[1], "g", 1) != 1)
        perror("write");
    close(pipefd[1]);
    int status = 0;
    waitpid(c->child, &status, 0);
    c->child = 0;
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
          "device filter: exit %d (1: /dev/null refused, 2: /dev/kmsg allowed)",
          WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

static void test_real_kernel(void)
{
    struct vse_err err = {0};
    enum cgroup_mode mode;
    if (geteuid() != 0) {
        printf("SKIP real-kernel checks: not root\n");
        return;
    }
    if (cgroup_detect_mode(NULL, &mode, &err) < 0 || mode == CGROUP_MODE_V2) {
        printf("SKIP real-kernel v1 checks: this host is not v1/hybrid (%s)\n", err.msg);
        return;
    }
    srand((unsigned) (time(NULL) ^ getpid()));
    struct real_ctx c = {.id = vse_asprintf("vse-test-%08x", (unsigned) rand())};
    real_v1_checks(&c);
    if (mode == CGROUP_MODE_HYBRID)
        real_bpf_checks(&c);
    real_cleanup(&c);
}

int main(void)
{
    test_conversions();
    test_paths();
    test_systemd_refused();
    test_v1_scratch();
    test_v1_errors();
    test_hybrid_scratch();
    test_v2_scratch();
    test_device_rule_order();
    test_bpf_build();
    test_real_kernel();
    printf("%d checks, %d failures\n", checks, failures);
    return failures ? 1 : 0;
}
