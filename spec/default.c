/* `vse spec [--rootless]`: the starting config a user edits, with the same content `runc spec`
 * writes (so bundles move between runtimes) except the hostname. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "json/json.h"
#include "spec/default_seccomp.h"
#include "spec/spec.h"

struct default_mount {
    const char *destination, *type, *source;
    const char *const *options; /* NULL-terminated; NULL: no options key */
    bool rootful_only;          /* left out of the rootless config */
};

#define OPTS(...) ((const char *const[]){__VA_ARGS__, NULL})

static const struct default_mount default_mounts[] = {
    {"/proc", "proc", "proc", NULL, false},
    {"/dev", "tmpfs", "tmpfs", OPTS("nosuid", "strictatime", "mode=755", "size=65536k"), false},
    {"/dev/pts", "devpts", "devpts",
     OPTS("nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"), false},
    {"/dev/shm", "tmpfs", "shm", OPTS("nosuid", "noexec", "nodev", "mode=1777", "size=65536k"),
     false},
    {"/dev/mqueue", "mqueue", "mqueue", OPTS("nosuid", "noexec", "nodev"), false},
    {"/sys", "sysfs", "sysfs", OPTS("nosuid", "noexec", "nodev", "ro"), false},
    {"/sys/fs/cgroup", "cgroup", "cgroup", OPTS("nosuid", "noexec", "nodev", "relatime", "ro"),
     true},
};

/* Without a network namespace of its own, a rootless container cannot mount sysfs: it gets
 * the host's /sys bound read-only instead (which also brings /sys/fs/cgroup along). */
static const struct default_mount rootless_sys = {
    "/sys", "none", "/sys", OPTS("rbind", "nosuid", "noexec", "nodev", "ro"), false};

static const char *const default_caps[] = {"CAP_AUDIT_WRITE", "CAP_KILL",
                                           "CAP_NET_BIND_SERVICE", NULL};

static const char *const default_env[] = {
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm", NULL};

static const char *const masked_paths[] = {
    "/proc/acpi",       "/proc/asound",        "/proc/kcore",     "/proc/keys",
    "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
    "/sys/firmware",    "/proc/scsi",          "/sys/devices/virtual/powercap", NULL};

static const char *const readonly_paths[] = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                                             "/proc/sysrq-trigger", NULL};

static void write_strv(json_writer *w, const char *key, const char *const *v)
{
    json_w_key(w, key);
    json_w_array_begin(w);
    for (; *v; v++)
        json_w_string(w, *v);
    json_w_array_end(w);
}

/* gid= and uid= options name host ids that do not exist inside a rootless user namespace. */
static bool id_option(const char *opt)
{
    return vse_str_has_prefix(opt, "gid=") || vse_str_has_prefix(opt, "uid=");
}

static void write_mount(json_writer *w, const struct default_mount *m, bool rootless)
{
    json_w_object_begin(w);
    json_w_kv_string(w, "destination", m->destination);
    json_w_kv_string(w, "type", m->type);
    json_w_kv_string(w, "source", m->source);
    if (m->options) {
        json_w_key(w, "options");
        json_w_array_begin(w);
        for (const char *const *o = m->options; *o; o++)
            if (!(rootless && id_option(*o)))
                json_w_string(w, *o);
        json_w_array_end(w);
    }
    json_w_object_end(w);
}

static void write_mounts(json_writer *w, bool rootless)
{
    json_w_key(w, "mounts");
    json_w_array_begin(w);
    for (size_t i = 0; i < VSE_ARRAY_SIZE(default_mounts); i++) {
        const struct default_mount *m = &default_mounts[i];
        if (rootless && m->rootful_only)
            continue;
        if (rootless && strcmp(m->destination, "/sys") == 0)
            m = &rootless_sys;
        write_mount(w, m, rootless);
    }
    json_w_array_end(w);
}

static void write_process(json_writer *w)
{
    json_w_key(w, "process");
    json_w_object_begin(w);
    json_w_kv_bool(w, "terminal", true);
    json_w_key(w, "user");
    json_w_object_begin(w);
    json_w_kv_int(w, "uid", 0);
    json_w_kv_int(w, "gid", 0);
    json_w_object_end(w);
    write_strv(w, "args", (const char *const[]){"sh", NULL});
    write_strv(w, "env", default_env);
    json_w_kv_string(w, "cwd", "/");
    json_w_key(w, "capabilities");
    json_w_object_begin(w);
    write_strv(w, "bounding", default_caps);
    write_strv(w, "effective", default_caps);
    write_strv(w, "permitted", default_caps);
    json_w_object_end(w);
    json_w_key(w, "rlimits");
    json_w_array_begin(w);
    json_w_object_begin(w);
    json_w_kv_string(w, "type", "RLIMIT_NOFILE");
    json_w_kv_int(w, "hard", 1024);
    json_w_kv_int(w, "soft", 1024);
    json_w_object_end(w);
    json_w_array_end(w);
    json_w_kv_bool(w, "noNewPrivileges", true);
    json_w_object_end(w);
}

static void write_id_mapping(json_writer *w, const char *key, unsigned host_id)
{
    json_w_key(w, key);
    json_w_array_begin(w);
    json_w_object_begin(w);
    json_w_kv_int(w, "containerID", 0);
    json_w_kv_int(w, "hostID", host_id);
    json_w_kv_int(w, "size", 1);
    json_w_object_end(w);
    json_w_array_end(w);
}

static void write_namespaces(json_writer *w, bool rootless)
{
    static const char *const rootful[] = {"pid", "network", "ipc", "uts", "mount", "cgroup"};
    static const char *const rootless_ns[] = {"pid", "ipc", "uts", "mount", "cgroup", "user"};
    const char *const *types = rootless ? rootless_ns : rootful;
    json_w_key(w, "namespaces");
    json_w_array_begin(w);
    for (size_t i = 0; i < VSE_ARRAY_SIZE(rootful); i++) {
        json_w_object_begin(w);
        json_w_kv_string(w, "type", types[i]);
        json_w_object_end(w);
    }
    json_w_array_end(w);
}

static void write_linux(json_writer *w, bool rootless)
{
    json_w_key(w, "linux");
    json_w_object_begin(w);
    if (rootless) {
        /* the invoking user, mapped to root inside */
        write_id_mapping(w, "uidMappings", (unsigned) geteuid());
        write_id_mapping(w, "gidMappings", (unsigned) getegid());
    } else {
        /* an unprivileged user cannot write cgroup device rules, so rootless has none */
        json_w_key(w, "resources");
        json_w_object_begin(w);
        json_w_key(w, "devices");
        json_w_array_begin(w);
        json_w_object_begin(w);
        json_w_kv_bool(w, "allow", false);
        json_w_kv_string(w, "access", "rwm");
        json_w_object_end(w);
        json_w_array_end(w);
        json_w_object_end(w);
    }
    write_namespaces(w, rootless);
    write_strv(w, "maskedPaths", masked_paths);
    write_strv(w, "readonlyPaths", readonly_paths);
    /* The same profile rootless: a user namespace does not make keyctl, userfaultfd, io_uring
     * or nested namespaces any safer, and podman applies its default profile there too. */
    json_w_key(w, "seccomp");
    spec_write_default_seccomp(w);
    json_w_object_end(w);
}

char *spec_default_json(bool rootless)
{
    _cleanup_json_writer_ json_writer *w = json_writer_new(true);
    json_w_object_begin(w);
    json_w_kv_string(w, "ociVersion", VSE_OCI_VERSION);
    write_process(w);
    json_w_key(w, "root");
    json_w_object_begin(w);
    json_w_kv_string(w, "path", "rootfs");
    json_w_kv_bool(w, "readonly", true);
    json_w_object_end(w);
    json_w_kv_string(w, "hostname", "vse");
    write_mounts(w, rootless);
    write_linux(w, rootless);
    json_w_object_end(w);
    size_t len = 0;
    const char *text = json_writer_text(w, &len);
    return vse_strndup(text, len);
}
