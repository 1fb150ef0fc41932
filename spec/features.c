/* `vse features`: runtime-spec features.md JSON. Every claim here has to hold for the vse that
 * prints it; where another module's support is missing or unproven, the feature says false. */
#include <ctype.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "json/json.h"
#include "spec/parse_internal.h"
#include "spec/spec.h"

#ifndef VSE_PROJECT_VERSION /* set by spec/meson.build from project() */
#define VSE_PROJECT_VERSION "unknown"
#endif

static const char *const hook_names[] = {"prestart",       "createRuntime", "createContainer",
                                         "startContainer", "poststart",     "poststop"};

/* The option names rootfs/options.c interprets itself; anything else goes to the filesystem
 * as mount data and is not listed. */
static const char *const mount_options[] = {
    "async",        "atime",       "bind",        "defaults",     "dev",
    "diratime",     "dirsync",     "exec",        "idmap",        "iversion",
    "loud",         "mand",        "noatime",     "nodev",        "nodiratime",
    "noexec",       "noiversion",  "nomand",      "norelatime",   "nostrictatime",
    "nosuid",       "nosymfollow", "private",     "ratime",       "rbind",
    "rdev",         "rdiratime",   "relatime",    "remount",      "rexec",
    "ridmap",       "rnoatime",    "rnodev",      "rnodiratime",  "rnoexec",
    "rnorelatime",  "rnostrictatime", "rnosuid",  "rnosymfollow", "ro",
    "rprivate",     "rrelatime",   "rro",         "rrw",          "rshared",
    "rslave",       "rstrictatime", "rsuid",      "rsymfollow",   "runbindable",
    "rw",           "shared",      "silent",      "slave",        "strictatime",
    "suid",         "symfollow",   "sync",        "tmpcopyup",    "unbindable",
};

static void write_names(json_writer *w, const char *key, const char *const *v, size_t n)
{
    json_w_key(w, key);
    json_w_array_begin(w);
    for (size_t i = 0; i < n; i++)
        if (v[i])
            json_w_string(w, v[i]);
    json_w_array_end(w);
}

static void write_enabled(json_writer *w, const char *key, bool enabled)
{
    json_w_key(w, key);
    json_w_object_begin(w);
    json_w_kv_bool(w, "enabled", enabled);
    json_w_object_end(w);
}

/* Every capability both the kernel (cap_max_bits) and libcap know by name. */
static void write_capabilities(json_writer *w)
{
    json_w_key(w, "capabilities");
    json_w_array_begin(w);
    cap_value_t max = (cap_value_t) cap_max_bits();
    for (cap_value_t c = 0; c < max && c < 64; c++) {
        char *name = cap_to_name(c);
        if (name == NULL)
            continue;
        if (strncasecmp(name, "cap_", 4) == 0) {
            _cleanup_free_ char *upper = vse_strdup(name);
            for (char *p = upper; *p; p++)
                *p = (char) toupper((unsigned char) *p);
            json_w_string(w, upper);
        }
        cap_free(name);
    }
    json_w_array_end(w);
}

/* libseccomp names architectures in lower case without the SCMP_ARCH_ prefix. */
static bool libseccomp_knows_arch(const char *spec_name)
{
    char token[32];
    const char *s = spec_name + strlen("SCMP_ARCH_");
    size_t n = 0;
    for (; s[n] && n + 1 < sizeof(token); n++)
        token[n] = (char) tolower((unsigned char) s[n]);
    token[n] = '\0';
    return seccomp_arch_resolve_name(token) != 0;
}

/* What security/seccomp.c can honour with this libseccomp and kernel (seccomp_api_get levels:
 * 3 adds the log flag, 4 the speculative-store-bypass flag). TSYNC is a no-op for the
 * single-threaded container process, so it is always honoured. */
static bool flag_supported(const char *flag, unsigned api)
{
    if (strcmp(flag, "SECCOMP_FILTER_FLAG_TSYNC") == 0)
        return true;
    if (strcmp(flag, "SECCOMP_FILTER_FLAG_LOG") == 0)
        return api >= 3;
    if (strcmp(flag, "SECCOMP_FILTER_FLAG_SPEC_ALLOW") == 0)
        return api >= 4;
#if SCMP_VER_MAJOR > 2 || (SCMP_VER_MAJOR == 2 && SCMP_VER_MINOR >= 6)
    if (strcmp(flag, "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV") == 0)
        return api >= 7;
#endif
    return false;
}

static void write_seccomp(json_writer *w)
{
    json_w_key(w, "seccomp");
    json_w_object_begin(w);
    json_w_kv_bool(w, "enabled", true);
    write_names(w, "actions", sp_seccomp_actions, sp_n_seccomp_actions);
    write_names(w, "operators", sp_seccomp_ops, sp_n_seccomp_ops);
    json_w_key(w, "archs");
    json_w_array_begin(w);
    for (size_t i = 0; i < sp_n_seccomp_archs; i++)
        if (libseccomp_knows_arch(sp_seccomp_archs[i]))
            json_w_string(w, sp_seccomp_archs[i]);
    json_w_array_end(w);
    write_names(w, "knownFlags", sp_seccomp_flags, sp_n_seccomp_flags);
    unsigned api = (unsigned) seccomp_api_get();
    json_w_key(w, "supportedFlags");
    json_w_array_begin(w);
    for (size_t i = 0; i < sp_n_seccomp_flags; i++)
        if (flag_supported(sp_seccomp_flags[i], api))
            json_w_string(w, sp_seccomp_flags[i]);
    json_w_array_end(w);
    json_w_object_end(w);
}

static void write_cgroup(json_writer *w)
{
    json_w_key(w, "cgroup");
    json_w_object_begin(w);
    json_w_kv_bool(w, "v1", true);
    json_w_kv_bool(w, "v2", true);
    json_w_kv_bool(w, "systemd", false);     /* no systemd driver yet */
    json_w_kv_bool(w, "systemdUser", false);
    json_w_kv_bool(w, "rdma", false);        /* spec.h keeps no rdma limits */
    json_w_object_end(w);
}

static void write_linux(json_writer *w)
{
    json_w_key(w, "linux");
    json_w_object_begin(w);
    json_w_key(w, "namespaces");
    json_w_array_begin(w);
    for (int t = 0; t < SPEC_NS_COUNT; t++)
        json_w_string(w, spec_ns_type_name((enum spec_ns_type) t));
    json_w_array_end(w);
    write_capabilities(w);
    write_cgroup(w);
    write_seccomp(w);
    /* LSM support is not claimed: this host has neither LSM to prove it on. */
    write_enabled(w, "apparmor", false);
    write_enabled(w, "selinux", false);
    write_enabled(w, "intelRdt", false);
    json_w_key(w, "mountExtensions");
    json_w_object_begin(w);
    write_enabled(w, "idmap", true);
    json_w_object_end(w);
    write_enabled(w, "netDevices", false); /* parsed, but nothing moves the devices yet */
    json_w_object_end(w);
}

char *spec_features_json(void)
{
    _cleanup_json_writer_ json_writer *w = json_writer_new(true);
    json_w_object_begin(w);
    json_w_kv_string(w, "ociVersionMin", "1.0.0");
    json_w_kv_string(w, "ociVersionMax", VSE_OCI_VERSION);
    write_names(w, "hooks", hook_names, VSE_ARRAY_SIZE(hook_names));
    write_names(w, "mountOptions", mount_options, VSE_ARRAY_SIZE(mount_options));
    write_linux(w);
    json_w_key(w, "annotations");
    json_w_object_begin(w);
    json_w_kv_string(w, "io.github.vse.version", VSE_PROJECT_VERSION);
    const struct scmp_version *v = seccomp_version();
    _cleanup_free_ char *scmp = vse_asprintf("%u.%u.%u", v->major, v->minor, v->micro);
    json_w_kv_string(w, "io.github.seccomp.libseccomp.version", scmp);
    json_w_object_end(w);
    json_w_object_end(w);
    size_t len = 0;
    const char *text = json_writer_text(w, &len);
    return vse_strndup(text, len);
}
