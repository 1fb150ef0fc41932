/* linux.seccomp of config.json. Names are checked against the runtime-spec's enums here; what
 * the host's libseccomp can load is security/'s business (and `vse features` reports it). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "spec/parse_internal.h"

const char *const sp_seccomp_actions[] = {
    [SPEC_SCMP_KILL] = "SCMP_ACT_KILL",
    [SPEC_SCMP_KILL_PROCESS] = "SCMP_ACT_KILL_PROCESS",
    [SPEC_SCMP_KILL_THREAD] = "SCMP_ACT_KILL_THREAD",
    [SPEC_SCMP_TRAP] = "SCMP_ACT_TRAP",
    [SPEC_SCMP_ERRNO] = "SCMP_ACT_ERRNO",
    [SPEC_SCMP_TRACE] = "SCMP_ACT_TRACE",
    [SPEC_SCMP_ALLOW] = "SCMP_ACT_ALLOW",
    [SPEC_SCMP_LOG] = "SCMP_ACT_LOG",
    [SPEC_SCMP_NOTIFY] = "SCMP_ACT_NOTIFY",
};
const size_t sp_n_seccomp_actions = VSE_ARRAY_SIZE(sp_seccomp_actions);

const char *const sp_seccomp_ops[] = {
    [SPEC_SCMP_CMP_NE] = "SCMP_CMP_NE", [SPEC_SCMP_CMP_LT] = "SCMP_CMP_LT",
    [SPEC_SCMP_CMP_LE] = "SCMP_CMP_LE", [SPEC_SCMP_CMP_EQ] = "SCMP_CMP_EQ",
    [SPEC_SCMP_CMP_GE] = "SCMP_CMP_GE", [SPEC_SCMP_CMP_GT] = "SCMP_CMP_GT",
    [SPEC_SCMP_CMP_MASKED_EQ] = "SCMP_CMP_MASKED_EQ",
};
const size_t sp_n_seccomp_ops = VSE_ARRAY_SIZE(sp_seccomp_ops);

/* Every architecture config-linux.md names. */
const char *const sp_seccomp_archs[] = {
    "SCMP_ARCH_X86",       "SCMP_ARCH_X86_64",     "SCMP_ARCH_X32",
    "SCMP_ARCH_ARM",       "SCMP_ARCH_AARCH64",    "SCMP_ARCH_MIPS",
    "SCMP_ARCH_MIPS64",    "SCMP_ARCH_MIPS64N32",  "SCMP_ARCH_MIPSEL",
    "SCMP_ARCH_MIPSEL64",  "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",
    "SCMP_ARCH_PPC64",     "SCMP_ARCH_PPC64LE",    "SCMP_ARCH_S390",
    "SCMP_ARCH_S390X",     "SCMP_ARCH_PARISC",     "SCMP_ARCH_PARISC64",
    "SCMP_ARCH_RISCV64",   "SCMP_ARCH_LOONGARCH64", "SCMP_ARCH_M68K",
    "SCMP_ARCH_SH",        "SCMP_ARCH_SHEB",
};
const size_t sp_n_seccomp_archs = VSE_ARRAY_SIZE(sp_seccomp_archs);

const char *const sp_seccomp_flags[] = {
    "SECCOMP_FILTER_FLAG_TSYNC",
    "SECCOMP_FILTER_FLAG_LOG",
    "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
    "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
};
const size_t sp_n_seccomp_flags = VSE_ARRAY_SIZE(sp_seccomp_flags);

static int parse_action(const json_node *n, const char *base, const char *key,
                        enum spec_seccomp_action *out, struct vse_err *err)
{
    _cleanup_free_ char *name = NULL;
    int ret = sp_string(n, base, key, true, &name, err);
    if (ret < 0)
        return ret;
    int idx = sp_lookup(name, sp_seccomp_actions, sp_n_seccomp_actions);
    if (idx < 0)
        return sp_fail(err, sp_key(base, key).s, "unknown seccomp action \"%s\"", name);
    *out = (enum spec_seccomp_action) idx;
    return 0;
}

static int check_names(char **names, const char *path, const char *const *known, size_t n_known,
                       const char *what, struct vse_err *err)
{
    for (size_t i = 0; names && names[i]; i++)
        if (sp_lookup(names[i], known, n_known) < 0)
            return sp_fail(err, sp_idx(path, i).s, "unknown seccomp %s \"%s\"", what, names[i]);
    return 0;
}

static int parse_arg(const json_node *n, const char *path, struct spec_seccomp_arg *a,
                     struct vse_err *err)
{
    if (json_type_of(n) != JSON_OBJECT)
        return sp_fail(err, path, "must be an object");
    uint64_t index = 0;
    _cleanup_free_ char *op = NULL;
    int ret;
    /* a system call has at most six arguments */
    if ((ret = sp_uint(n, path, "index", true, 5, &index, NULL, err)) < 0 ||
        (ret = sp_uint(n, path, "value", true, UINT64_MAX, &a->value, NULL, err)) < 0 ||
        (ret = sp_uint(n, path, "valueTwo", false, UINT64_MAX, &a->value_two, NULL, err)) < 0 ||
        (ret = sp_string(n, path, "op", true, &op, err)) < 0)
        return ret;
    a->index = (uint32_t) index;
    int idx = sp_lookup(op, sp_seccomp_ops, sp_n_seccomp_ops);
    if (idx < 0)
        return sp_fail(err, sp_key(path, "op").s, "unknown seccomp operator \"%s\"", op);
    a->op = (enum spec_seccomp_op) idx;
    return 0;
}

static int parse_args(const json_node *sys, const char *base, struct spec_seccomp_syscall *s,
                      struct vse_err *err)
{
    const json_node *arr;
    int ret = sp_child(sys, base, "args", JSON_ARRAY, false, &arr, err);
    if (ret < 0 || arr == NULL)
        return ret;
    sp_path path = sp_key(base, "args");
    s->n_args = json_array_len(arr);
    s->args = vse_zalloc(s->n_args * sizeof(*s->args));
    for (size_t i = 0; i < s->n_args; i++) {
        ret = parse_arg(json_array_get(arr, i), sp_idx(path.s, i).s, &s->args[i], err);
        if (ret < 0)
            return ret;
    }
    return 0;
}

static int parse_syscall(const json_node *n, const char *path, struct spec_seccomp_syscall *s,
                         struct vse_err *err)
{
    if (json_type_of(n) != JSON_OBJECT)
        return sp_fail(err, path, "must be an object");
    int ret = sp_strv(n, path, "names", &s->names, err);
    if (ret < 0)
        return ret;
    if (s->names == NULL || s->names[0] == NULL)
        return sp_fail(err, sp_key(path, "names").s, "must be a non-empty array of strings");
    for (size_t i = 0; s->names[i]; i++)
        if (s->names[i][0] == '\0')
            return sp_fail(err, sp_idx(sp_key(path, "names").s, i).s, "must not be empty");
    if ((ret = parse_action(n, path, "action", &s->action, err)) < 0 ||
        (ret = sp_uint(n, path, "errnoRet", false, UINT32_MAX, &s->errno_ret.value,
                       &s->errno_ret.set, err)) < 0 ||
        (ret = parse_args(n, path, s, err)) < 0)
        return ret;
    return 0;
}

static int parse_syscalls(const json_node *n, const char *base, struct spec_seccomp *sc,
                          struct vse_err *err)
{
    const json_node *arr;
    int ret = sp_child(n, base, "syscalls", JSON_ARRAY, false, &arr, err);
    if (ret < 0 || arr == NULL)
        return ret;
    sp_path path = sp_key(base, "syscalls");
    sc->n_syscalls = json_array_len(arr);
    sc->syscalls = vse_zalloc(sc->n_syscalls * sizeof(*sc->syscalls));
    for (size_t i = 0; i < sc->n_syscalls; i++) {
        ret = parse_syscall(json_array_get(arr, i), sp_idx(path.s, i).s, &sc->syscalls[i], err);
        if (ret < 0)
            return ret;
    }
    return 0;
}

static bool uses_notify(const struct spec_seccomp *sc)
{
    if (sc->default_action == SPEC_SCMP_NOTIFY)
        return true;
    for (size_t i = 0; i < sc->n_syscalls; i++)
        if (sc->syscalls[i].action == SPEC_SCMP_NOTIFY)
            return true;
    return false;
}

int sp_parse_seccomp(const json_node *n, const char *base, struct spec_seccomp *sc,
                     struct vse_err *err)
{
    int ret;
    if ((ret = parse_action(n, base, "defaultAction", &sc->default_action, err)) < 0 ||
        (ret = sp_uint(n, base, "defaultErrnoRet", false, UINT32_MAX,
                       &sc->default_errno_ret.value, &sc->default_errno_ret.set, err)) < 0 ||
        (ret = sp_strv(n, base, "architectures", &sc->architectures, err)) < 0 ||
        (ret = check_names(sc->architectures, sp_key(base, "architectures").s, sp_seccomp_archs,
                           sp_n_seccomp_archs, "architecture", err)) < 0 ||
        (ret = sp_strv(n, base, "flags", &sc->flags, err)) < 0 ||
        (ret = check_names(sc->flags, sp_key(base, "flags").s, sp_seccomp_flags,
                           sp_n_seccomp_flags, "flag", err)) < 0 ||
        (ret = sp_abs_path(n, base, "listenerPath", false, &sc->listener_path, err)) < 0 ||
        (ret = sp_string(n, base, "listenerMetadata", false, &sc->listener_metadata, err)) < 0 ||
        (ret = parse_syscalls(n, base, sc, err)) < 0)
        return ret;
    if (uses_notify(sc) && sc->listener_path == NULL)
        return sp_fail(err, sp_key(base, "listenerPath").s,
                       "is required when SCMP_ACT_NOTIFY is used");
    return 0;
}

void sp_seccomp_free(struct spec_seccomp *sc)
{
    if (sc == NULL)
        return;
    vse_strv_free(sc->architectures);
    vse_strv_free(sc->flags);
    free(sc->listener_path);
    free(sc->listener_metadata);
    for (size_t i = 0; sc->syscalls && i < sc->n_syscalls; i++) {
        vse_strv_free(sc->syscalls[i].names);
        free(sc->syscalls[i].args);
    }
    free(sc->syscalls);
    free(sc);
}
