/* linux.seccomp with libseccomp: compile the filter from the config, load it, and for
 * SCMP_ACT_NOTIFY hand the listener fd plus the container process state to the agent at
 * listenerPath (runtime-spec config-linux.md, "seccomp"). See security/security.h. */
#include "security/security.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "json/json.h"
#include "process/process.h"
#include "security/seccomp_cache.h"

struct security_seccomp {
    scmp_filter_ctx ctx; /* NULL on a cache hit */
    /* The generated program when the cache is in use (hit or freshly stored): loaded with one
     * seccomp() call instead of letting seccomp_load() generate it again. */
    struct sock_filter *bpf;
    size_t bpf_len;
    unsigned int bpf_flags; /* SECCOMP_FILTER_FLAG_* of linux.seccomp.flags */
    bool notify;       /* some rule (or the default) is SCMP_ACT_NOTIFY */
    int listener;      /* connected to listenerPath at compile time, before pivot_root */
    char *listener_path;
    char *metadata;
};

static const char *const action_names[] = {
    "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP",
    "SCMP_ACT_ERRNO", "SCMP_ACT_TRACE", "SCMP_ACT_ALLOW", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY",
};

static const char *action_name(enum spec_seccomp_action a)
{
    return (unsigned) a < VSE_ARRAY_SIZE(action_names) ? action_names[a] : "?";
}

/* errnoRet defaults to EPERM for SCMP_ACT_ERRNO and SCMP_ACT_TRACE, as in runc and crun. */
static int resolve_action(enum spec_seccomp_action a, opt_u64 errno_ret, const char *field,
                          uint32_t *out, struct vse_err *err)
{
    uint64_t ret = errno_ret.set ? errno_ret.value : EPERM;
    if ((a == SPEC_SCMP_ERRNO || a == SPEC_SCMP_TRACE) && ret > 0xffff)
        return vse_fail(err, EINVAL, "%s: errnoRet %llu is out of range", field,
                        (unsigned long long) ret);
    switch (a) {
    case SPEC_SCMP_KILL: *out = SCMP_ACT_KILL; return 0;
    case SPEC_SCMP_KILL_PROCESS: *out = SCMP_ACT_KILL_PROCESS; return 0;
    case SPEC_SCMP_KILL_THREAD: *out = SCMP_ACT_KILL_THREAD; return 0;
    case SPEC_SCMP_TRAP: *out = SCMP_ACT_TRAP; return 0;
    case SPEC_SCMP_ERRNO: *out = SCMP_ACT_ERRNO((uint16_t) ret); return 0;
    case SPEC_SCMP_TRACE: *out = SCMP_ACT_TRACE((uint16_t) ret); return 0;
    case SPEC_SCMP_ALLOW: *out = SCMP_ACT_ALLOW; return 0;
    case SPEC_SCMP_LOG: *out = SCMP_ACT_LOG; return 0;
    case SPEC_SCMP_NOTIFY: *out = SCMP_ACT_NOTIFY; return 0;
    }
    return vse_fail(err, EINVAL, "%s: unknown action %d", field, (int) a);
}

static enum scmp_compare resolve_op(enum spec_seccomp_op op)
{
    switch (op) {
    case SPEC_SCMP_CMP_NE: return SCMP_CMP_NE;
    case SPEC_SCMP_CMP_LT: return SCMP_CMP_LT;
    case SPEC_SCMP_CMP_LE: return SCMP_CMP_LE;
    case SPEC_SCMP_CMP_EQ: return SCMP_CMP_EQ;
    case SPEC_SCMP_CMP_GE: return SCMP_CMP_GE;
    case SPEC_SCMP_CMP_GT: return SCMP_CMP_GT;
    case SPEC_SCMP_CMP_MASKED_EQ: return SCMP_CMP_MASKED_EQ;
    }
    return _SCMP_CMP_MIN;
}

/* "SCMP_ARCH_X86_64" -> libseccomp's "x86_64". */
static int add_architecture(scmp_filter_ctx ctx, size_t i, const char *name,
                            struct vse_err *err)
{
    char token[64];
    const char *s = vse_str_has_prefix(name, "SCMP_ARCH_") ? name + 10 : name;
    size_t n = 0;
    for (; s[n] && n + 1 < sizeof(token); n++)
        token[n] = (char) (s[n] >= 'A' && s[n] <= 'Z' ? s[n] - 'A' + 'a' : s[n]);
    token[n] = '\0';
    uint32_t arch = seccomp_arch_resolve_name(token);
    if (arch == 0)
        return vse_fail(err, EINVAL, "linux.seccomp.architectures[%zu]: unknown architecture "
                        "\"%s\"", i, name);
    int ret = seccomp_arch_add(ctx, arch);
    if (ret < 0 && ret != -EEXIST)
        return vse_fail_code(err, ret, "linux.seccomp.architectures[%zu] \"%s\": "
                             "seccomp_arch_add", i, name);
    return 0;
}

static int set_filter_flag(scmp_filter_ctx ctx, size_t i, const char *flag,
                           const struct vse_logger *log, struct vse_err *err)
{
    enum scmp_filter_attr attr;
    if (strcmp(flag, "SECCOMP_FILTER_FLAG_LOG") == 0) {
        attr = SCMP_FLTATR_CTL_LOG;
    } else if (strcmp(flag, "SECCOMP_FILTER_FLAG_SPEC_ALLOW") == 0) {
        attr = SCMP_FLTATR_CTL_SSB;
    } else if (strcmp(flag, "SECCOMP_FILTER_FLAG_TSYNC") == 0) {
        /* The container process is single-threaded when the filter is loaded. */
        vse_log(log, VSE_LOG_DEBUG, "linux.seccomp.flags[%zu]: %s: nothing to do for a "
                "single-threaded process", i, flag);
        return 0;
    } else if (strcmp(flag, "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV") == 0) {
#if SCMP_VER_MAJOR > 2 || (SCMP_VER_MAJOR == 2 && SCMP_VER_MINOR >= 6)
        attr = SCMP_FLTATR_CTL_WAITKILL;
#else
        return vse_fail(err, ENOTSUP, "linux.seccomp.flags[%zu]: %s is not supported: vse was "
                        "built with libseccomp %d.%d.%d, which has no way to set it (2.6 does)",
                        i, flag, SCMP_VER_MAJOR, SCMP_VER_MINOR, SCMP_VER_MICRO);
#endif
    } else {
        return vse_fail(err, EINVAL, "linux.seccomp.flags[%zu]: unknown flag \"%s\"", i, flag);
    }
    int ret = seccomp_attr_set(ctx, attr, 1);
    if (ret < 0)
        return vse_fail_code(err, ret, "linux.seccomp.flags[%zu]: %s not supported by this "
                             "kernel or libseccomp", i, flag);
    return 0;
}

static bool arg_indexes_distinct(const struct spec_seccomp_syscall *sc)
{
    uint32_t seen = 0;
    for (size_t i = 0; i < sc->n_args; i++) {
        if (seen & (1U << sc->args[i].index))
            return false;
        seen |= 1U << sc->args[i].index;
    }
    return true;
}

static struct scmp_arg_cmp to_cmp(const struct spec_seccomp_arg *a)
{
    return (struct scmp_arg_cmp){.arg = a->index, .op = resolve_op(a->op),
                                 .datum_a = a->value, .datum_b = a->value_two};
}

/* Conditions on distinct arguments are ANDed in one rule; several conditions on the same
 * argument cannot be, so (as runc does) each becomes a rule of its own (ORed). */
static int add_rule(scmp_filter_ctx ctx, uint32_t action, int nr,
                    const struct spec_seccomp_syscall *sc)
{
    if (sc->n_args == 0)
        return seccomp_rule_add_array(ctx, action, nr, 0, NULL);
    if (arg_indexes_distinct(sc)) {
        struct scmp_arg_cmp cmps[6];
        for (size_t i = 0; i < sc->n_args; i++)
            cmps[i] = to_cmp(&sc->args[i]);
        return seccomp_rule_add_array(ctx, action, nr, (unsigned) sc->n_args, cmps);
    }
    for (size_t i = 0; i < sc->n_args; i++) {
        struct scmp_arg_cmp cmp = to_cmp(&sc->args[i]);
        int ret = seccomp_rule_add_array(ctx, action, nr, 1, &cmp);
        if (ret < 0)
            return ret;
    }
    return 0;
}

static int check_args(size_t i, const struct spec_seccomp_syscall *sc, struct vse_err *err)
{
    if (sc->n_args > 6)
        return vse_fail(err, EINVAL, "linux.seccomp.syscalls[%zu].args: %zu conditions, at most "
                        "6", i, sc->n_args);
    for (size_t j = 0; j < sc->n_args; j++) {
        if (sc->args[j].index > 5)
            return vse_fail(err, EINVAL, "linux.seccomp.syscalls[%zu].args[%zu].index: %u is "
                            "not a syscall argument (0..5)", i, j, sc->args[j].index);
        if (resolve_op(sc->args[j].op) == _SCMP_CMP_MIN)
            return vse_fail(err, EINVAL, "linux.seccomp.syscalls[%zu].args[%zu].op: unknown",
                            i, j);
    }
    return 0;
}

/* Syscalls the runtime itself makes between loading the filter and execve (sending the
 * listener fd, reporting to the parent): notifying on them would wait on a listener that does
 * not have the fd yet. runc refuses "write" for the same reason. */
static int check_notify_name(size_t i, const char *name, struct vse_err *err)
{
    if (strcmp(name, "write") == 0 || strcmp(name, "sendmsg") == 0)
        return vse_fail(err, EINVAL, "linux.seccomp.syscalls[%zu]: SCMP_ACT_NOTIFY cannot be "
                        "used for \"%s\": the runtime needs it to hand over the listener fd",
                        i, name);
    return 0;
}

static int add_syscall_entry(struct security_seccomp *f, uint32_t default_action, size_t i,
                             const struct spec_seccomp_syscall *sc, const struct vse_logger *log,
                             struct vse_err *err)
{
    char field[64];
    snprintf(field, sizeof(field), "linux.seccomp.syscalls[%zu]", i);
    uint32_t action;
    int ret = resolve_action(sc->action, sc->errno_ret, field, &action, err);
    if (ret < 0)
        return ret;
    ret = check_args(i, sc, err);
    if (ret < 0)
        return ret;
    for (size_t j = 0; sc->names && sc->names[j]; j++) {
        const char *name = sc->names[j];
        if (sc->action == SPEC_SCMP_NOTIFY && (ret = check_notify_name(i, name, err)) < 0)
            return ret;
        if (action == default_action) {
            vse_log(log, VSE_LOG_DEBUG, "%s: \"%s\" has the default action %s, no rule needed",
                    field, name, action_name(sc->action));
            continue;
        }
        int nr = seccomp_syscall_resolve_name(name);
        if (nr == __NR_SCMP_ERROR) {
            vse_log(log, VSE_LOG_DEBUG, "%s: unknown syscall \"%s\" skipped", field, name);
            continue;
        }
        ret = add_rule(f->ctx, action, nr, sc);
        if (ret < 0)
            return vse_fail_code(err, ret, "%s \"%s\" (%s): seccomp_rule_add", field, name,
                                 action_name(sc->action));
        if (sc->action == SPEC_SCMP_NOTIFY)
            f->notify = true;
    }
    return 0;
}

/* Connects now: after pivot_root the host path of the listener is out of reach. */
static int connect_listener(const char *path, struct vse_err *err)
{
    _cleanup_close_ int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (sock < 0)
        return vse_fail_errno(err, "linux.seccomp.listenerPath: socket");
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof(addr.sun_path))
        return vse_fail(err, ENAMETOOLONG, "linux.seccomp.listenerPath \"%s\": longer than %zu "
                        "bytes", path, sizeof(addr.sun_path) - 1);
    memcpy(addr.sun_path, path, strlen(path) + 1);
    if (connect(sock, (struct sockaddr *) &addr, sizeof(addr)) < 0)
        return vse_fail_errno(err, "linux.seccomp.listenerPath: connect \"%s\"", path);
    return steal_fd(&sock);
}

static int compile_filter(struct security_seccomp *f, const struct spec_seccomp *sc,
                          const struct vse_logger *log, struct vse_err *err)
{
    uint32_t default_action;
    int ret = resolve_action(sc->default_action, sc->default_errno_ret,
                             "linux.seccomp.defaultAction", &default_action, err);
    if (ret < 0)
        return ret;
    if (sc->default_action == SPEC_SCMP_NOTIFY)
        return vse_fail(err, EINVAL, "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the "
                        "default action (the runtime's own syscalls would wait on the listener)");
    f->ctx = seccomp_init(default_action);
    if (f->ctx == NULL)
        return vse_fail(err, EINVAL, "linux.seccomp.defaultAction %s: seccomp_init failed",
                        action_name(sc->default_action));
    /* noNewPrivileges is the config's decision, not libseccomp's. */
    ret = seccomp_attr_set(f->ctx, SCMP_FLTATR_CTL_NNP, 0);
    if (ret < 0)
        return vse_fail_code(err, ret, "linux.seccomp: clearing SCMP_FLTATR_CTL_NNP");
    /* Real kernel errors from seccomp_load (EACCES, ...) instead of libseccomp's ECANCELED. */
    seccomp_attr_set(f->ctx, SCMP_FLTATR_API_SYSRAWRC, 1);
    for (size_t i = 0; sc->architectures && sc->architectures[i]; i++)
        if ((ret = add_architecture(f->ctx, i, sc->architectures[i], err)) < 0)
            return ret;
    for (size_t i = 0; sc->flags && sc->flags[i]; i++)
        if ((ret = set_filter_flag(f->ctx, i, sc->flags[i], log, err)) < 0)
            return ret;
    for (size_t i = 0; i < sc->n_syscalls; i++)
        if ((ret = add_syscall_entry(f, default_action, i, &sc->syscalls[i], log, err)) < 0)
            return ret;
    return 0;
}

void security_seccomp_free(struct security_seccomp *f)
{
    if (f == NULL)
        return;
    if (f->ctx)
        seccomp_release(f->ctx);
    if (f->listener >= 0)
        close(f->listener);
    free(f->bpf);
    free(f->listener_path);
    free(f->metadata);
    free(f);
}

/* The kernel flags for a raw seccomp() load of a cached program; false when a flag needs
 * libseccomp's own handling (or its error), so the section is not cached. TSYNC does nothing in
 * the single-threaded init on either path, as documented. */
static bool raw_load_flags(const struct spec_seccomp *sc, unsigned int *flags)
{
    *flags = 0;
    for (size_t i = 0; sc->flags && sc->flags[i]; i++) {
        if (strcmp(sc->flags[i], "SECCOMP_FILTER_FLAG_LOG") == 0)
            *flags |= SECCOMP_FILTER_FLAG_LOG;
        else if (strcmp(sc->flags[i], "SECCOMP_FILTER_FLAG_SPEC_ALLOW") == 0)
            *flags |= SECCOMP_FILTER_FLAG_SPEC_ALLOW;
        else if (strcmp(sc->flags[i], "SECCOMP_FILTER_FLAG_TSYNC") != 0)
            return false;
    }
    return true;
}

/* NOTIFY needs libseccomp's listener fd (SECCOMP_FILTER_FLAG_NEW_LISTENER), so no cache. */
static bool cacheable(const struct spec_seccomp *sc, unsigned int *flags)
{
    if (sc->default_action == SPEC_SCMP_NOTIFY)
        return false;
    for (size_t i = 0; i < sc->n_syscalls; i++)
        if (sc->syscalls[i].action == SPEC_SCMP_NOTIFY)
            return false;
    return raw_load_flags(sc, flags);
}

/* The program libseccomp generates for the context (what seccomp_load would load). */
static int export_program(struct security_seccomp *f, struct vse_err *err)
{
    _cleanup_close_ int fd = memfd_create("vse-seccomp-bpf", MFD_CLOEXEC);
    if (fd < 0)
        return vse_fail_errno(err, "linux.seccomp: memfd_create");
    int ret = seccomp_export_bpf(f->ctx, fd);
    if (ret < 0)
        return vse_fail_code(err, ret, "linux.seccomp: seccomp_export_bpf");
    struct stat st;
    if (fstat(fd, &st) < 0)
        return vse_fail_errno(err, "linux.seccomp: fstat of the exported program");
    size_t len = (size_t) st.st_size;
    /* More than the kernel takes: leave it to seccomp_load to report the kernel's error. */
    if (len == 0 || len % sizeof(struct sock_filter) != 0 ||
        len > SECCOMP_CACHE_MAX_INSNS * sizeof(struct sock_filter))
        return 0;
    _cleanup_free_ struct sock_filter *insns = vse_zalloc(len);
    if (pread(fd, insns, len, 0) != (ssize_t) len)
        return vse_fail_errno(err, "linux.seccomp: reading the exported program");
    f->bpf = steal_ptr(insns);
    f->bpf_len = len / sizeof(struct sock_filter);
    return 0;
}

/* A hit fills f->bpf and skips libseccomp; a miss compiles, keeps the program, and stores it. */
static int compile_cached(struct security_seccomp *f, const struct spec_seccomp *sc,
                          int cache_dirfd, unsigned int flags, const struct vse_logger *log,
                          struct vse_err *err)
{
    size_t key_len = 0;
    _cleanup_free_ char *key = seccomp_cache_key(sc, &key_len);
    f->bpf_flags = flags;
    if (seccomp_cache_lookup(cache_dirfd, key, key_len, &f->bpf, &f->bpf_len, log) == 1)
        return 0;
    int ret = compile_filter(f, sc, log, err);
    if (ret < 0)
        return ret;
    if ((ret = export_program(f, err)) < 0)
        return ret;
    if (f->bpf)
        seccomp_cache_store(cache_dirfd, key, key_len, f->bpf, f->bpf_len, log);
    return 0;
}

int security_seccomp_compile(const struct spec_seccomp *sc, const struct vse_logger *log,
                             struct security_seccomp **out, struct vse_err *err)
{
    return security_seccomp_compile_opts(sc, NULL, log, out, err);
}

int security_seccomp_compile_opts(const struct spec_seccomp *sc,
                                  const struct security_seccomp_opts *opts,
                                  const struct vse_logger *log, struct security_seccomp **out,
                                  struct vse_err *err)
{
    *out = NULL;
    if (sc == NULL)
        return 0;
    _cleanup_seccomp_ struct security_seccomp *f = vse_zalloc(sizeof(*f));
    f->listener = -1;
    unsigned int flags = 0;
    int ret;
    if (opts && opts->cache_dirfd >= 0 && cacheable(sc, &flags)) {
        ret = compile_cached(f, sc, opts->cache_dirfd, flags, log, err);
        if (ret < 0)
            return ret;
        *out = steal_ptr(f);
        return 0;
    }
    ret = compile_filter(f, sc, log, err);
    if (ret < 0)
        return ret;
    if (f->notify) {
        if (sc->listener_path == NULL || sc->listener_path[0] == '\0')
            return vse_fail(err, EINVAL, "linux.seccomp.listenerPath: required when "
                            "SCMP_ACT_NOTIFY is used");
        f->listener_path = vse_strdup(sc->listener_path);
        f->metadata = sc->listener_metadata ? vse_strdup(sc->listener_metadata) : NULL;
        f->listener = connect_listener(sc->listener_path, err);
        if (f->listener < 0)
            return f->listener;
    }
    *out = steal_ptr(f);
    return 0;
}

bool security_seccomp_uses_notify(const struct security_seccomp *f)
{
    return f != NULL && f->notify;
}

/* The container process state of the runtime-spec: ociVersion, fds, pid, metadata, state. */
static char *process_state_json(const struct security_seccomp *f, const char *state_json,
                                struct vse_err *err)
{
    _cleanup_json_ json_node *state = NULL;
    if (state_json && json_parse(state_json, &state, err) < 0) {
        vse_err_prefix(err, "linux.seccomp: container state");
        return NULL;
    }
    int64_t pid = getpid();
    json_node *pid_node = state ? json_get(state, "pid") : NULL;
    if (pid_node)
        json_int64(pid_node, &pid);
    _cleanup_json_writer_ json_writer *w = json_writer_new(false);
    json_w_object_begin(w);
    json_w_kv_string(w, "ociVersion", VSE_OCI_VERSION);
    json_w_key(w, "fds");
    json_w_array_begin(w);
    json_w_string(w, "seccompFd");
    json_w_array_end(w);
    json_w_kv_int(w, "pid", pid);
    if (f->metadata)
        json_w_kv_string(w, "metadata", f->metadata);
    if (state) {
        json_w_key(w, "state");
        json_w_node(w, state);
    }
    json_w_object_end(w);
    return vse_strdup(json_writer_text(w, NULL));
}

static int send_with_fd(int sock, const char *buf, size_t len, int fd)
{
    size_t sent = 0;
    int ret = process_send_fd_buf(sock, fd, buf, len, &sent);
    if (ret < 0)
        return ret;
    ssize_t n;
    /* The fd went with the first bytes; the rest of a long state follows plainly. */
    for (size_t off = sent; off < len; off += (size_t) n) {
        do
            n = send(sock, buf + off, len - off, MSG_NOSIGNAL);
        while (n < 0 && errno == EINTR);
        if (n < 0)
            return -errno;
    }
    return 0;
}

static int send_listener(struct security_seccomp *f, const char *state_json,
                         struct vse_err *err)
{
    _cleanup_close_ int notify_fd = seccomp_notify_fd(f->ctx);
    if (notify_fd < 0)
        return vse_fail_code(err, notify_fd, "linux.seccomp: seccomp_notify_fd");
    _cleanup_free_ char *msg = process_state_json(f, state_json, err);
    if (msg == NULL)
        return -err->code;
    int ret = send_with_fd(f->listener, msg, strlen(msg), notify_fd);
    if (ret < 0)
        return vse_fail_code(err, ret, "linux.seccomp.listenerPath \"%s\": sending the "
                             "listener fd", f->listener_path);
    close(f->listener);
    f->listener = -1;
    return 0;
}

/* What seccomp_load does with the same program and flags (no_new_privs is never set here). */
static int load_program(const struct security_seccomp *f)
{
    struct sock_fprog prog = {.len = (unsigned short) f->bpf_len, .filter = f->bpf};
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, f->bpf_flags, &prog) < 0)
        return -errno;
    return 0;
}

int security_seccomp_load(struct security_seccomp *f, const char *state_json,
                          struct vse_err *err)
{
    if (f == NULL)
        return 0;
    int ret = f->bpf ? load_program(f) : seccomp_load(f->ctx);
    if (ret == -EACCES || ret == -EPERM)
        return vse_fail_code(err, ret, "linux.seccomp: seccomp_load (without noNewPrivileges "
                             "the filter must be loaded while the process still holds "
                             "CAP_SYS_ADMIN)");
    if (ret < 0)
        return vse_fail_code(err, ret, "linux.seccomp: seccomp_load");
    if (f->notify)
        return send_listener(f, state_json, err);
    return 0;
}

int security_seccomp_export_bpf(const struct security_seccomp *f, int fd, struct vse_err *err)
{
    if (f->ctx == NULL) {
        size_t len = f->bpf_len * sizeof(struct sock_filter);
        if (write(fd, f->bpf, len) != (ssize_t) len)
            return vse_fail_errno(err, "linux.seccomp: writing the cached program");
        return 0;
    }
    int ret = seccomp_export_bpf(f->ctx, fd);
    if (ret < 0)
        return vse_fail_code(err, ret, "linux.seccomp: seccomp_export_bpf");
    return 0;
}
