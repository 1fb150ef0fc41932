/* The cache of compiled seccomp filters (security/seccomp_cache.h, docs/security.md "Cache of
 * the compiled filter"). libseccomp needs ~6 ms to turn the default profile into BPF; loading
 * the finished program is one syscall. The cache keeps the program under
 * <state root>/.seccomp-cache/<fnv64>.bpf next to the full canonical text of what produced it,
 * and a hit needs that text to match byte for byte: the hash only names the file. */
#include "security/seccomp_cache.h"

#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "security/security.h"

/* Bump when the way compile_filter() turns a section into rules changes, so old files miss. */
#define SECCOMP_CACHE_FORMAT 1

#ifndef VSE_PROJECT_VERSION
#define VSE_PROJECT_VERSION "unknown"
#endif

static void put_str(FILE *f, const char *s)
{
    if (s == NULL)
        fputs("-\n", f);
    else
        fprintf(f, "%zu:%s\n", strlen(s), s);
}

static void put_strv(FILE *f, const char *what, char *const *v)
{
    size_t n = vse_strv_len(v);
    fprintf(f, "%s %zu\n", what, n);
    for (size_t i = 0; i < n; i++)
        put_str(f, v[i]);
}

static void put_errno_ret(FILE *f, opt_u64 e)
{
    if (e.set)
        fprintf(f, " errnoRet %llu", (unsigned long long) e.value);
    else
        fputs(" errnoRet -", f);
}

static void put_environment(FILE *f)
{
    const struct scmp_version *v = seccomp_version();
    fprintf(f, "vse-seccomp-cache %d\nvse %s\nlibseccomp %u.%u.%u api %u native %u\n",
            SECCOMP_CACHE_FORMAT, VSE_PROJECT_VERSION, v->major, v->minor, v->micro,
            seccomp_api_get(), seccomp_arch_native());
}

static void put_syscall(FILE *f, const struct spec_seccomp_syscall *s)
{
    fprintf(f, "syscall action %d", (int) s->action);
    put_errno_ret(f, s->errno_ret);
    fprintf(f, " args %zu\n", s->n_args);
    for (size_t i = 0; i < s->n_args; i++)
        fprintf(f, "arg %u op %d %llu %llu\n", s->args[i].index, (int) s->args[i].op,
                (unsigned long long) s->args[i].value,
                (unsigned long long) s->args[i].value_two);
    put_strv(f, "names", s->names);
}

char *seccomp_cache_key(const struct spec_seccomp *sc, size_t *len)
{
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);
    if (f == NULL)
        abort(); /* out of memory, as in vse_strdup */
    put_environment(f);
    fprintf(f, "defaultAction %d", (int) sc->default_action);
    put_errno_ret(f, sc->default_errno_ret);
    fputc('\n', f);
    put_strv(f, "architectures", sc->architectures);
    put_strv(f, "flags", sc->flags);
    fputs("listenerPath ", f);
    put_str(f, sc->listener_path);
    fputs("listenerMetadata ", f);
    put_str(f, sc->listener_metadata);
    fprintf(f, "syscalls %zu\n", sc->n_syscalls);
    for (size_t i = 0; i < sc->n_syscalls; i++)
        put_syscall(f, &sc->syscalls[i]);
    if (fclose(f) != 0)
        abort();
    *len = size;
    return buf;
}

void seccomp_cache_file_name(const char *key, size_t key_len, char name[32])
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < key_len; i++) {
        h ^= (unsigned char) key[i];
        h *= 0x100000001b3ULL;
    }
    snprintf(name, 32, "%016llx.bpf", (unsigned long long) h);
}

char *seccomp_cache_encode(const char *key, size_t key_len, const struct sock_filter *insns,
                           size_t n_insns, size_t *out_len)
{
    if (n_insns > SECCOMP_CACHE_MAX_INSNS ||
        key_len > SECCOMP_CACHE_MAX_FILE - SECCOMP_CACHE_HEADER_LEN -
                      SECCOMP_CACHE_MAX_INSNS * sizeof(struct sock_filter))
        return NULL;
    size_t prog_len = n_insns * sizeof(struct sock_filter);
    size_t len = SECCOMP_CACHE_HEADER_LEN + key_len + prog_len;
    char *buf = vse_zalloc(len);
    uint32_t lens[2] = {(uint32_t) key_len, (uint32_t) n_insns};
    memcpy(buf, SECCOMP_CACHE_MAGIC, SECCOMP_CACHE_MAGIC_LEN);
    memcpy(buf + SECCOMP_CACHE_MAGIC_LEN, lens, sizeof(lens));
    memcpy(buf + SECCOMP_CACHE_HEADER_LEN, key, key_len);
    memcpy(buf + SECCOMP_CACHE_HEADER_LEN + key_len, insns, prog_len);
    *out_len = len;
    return buf;
}

int seccomp_cache_decode(const char *buf, size_t len, const char *key, size_t key_len,
                         struct sock_filter **insns, size_t *n_insns)
{
    *insns = NULL;
    *n_insns = 0;
    if (len < SECCOMP_CACHE_HEADER_LEN ||
        memcmp(buf, SECCOMP_CACHE_MAGIC, SECCOMP_CACHE_MAGIC_LEN) != 0)
        return -EBADMSG;
    uint32_t lens[2];
    memcpy(lens, buf + SECCOMP_CACHE_MAGIC_LEN, sizeof(lens));
    if (lens[1] == 0 || lens[1] > SECCOMP_CACHE_MAX_INSNS ||
        (uint64_t) SECCOMP_CACHE_HEADER_LEN + lens[0] +
                (uint64_t) lens[1] * sizeof(struct sock_filter) != len)
        return -EBADMSG;
    if (lens[0] != key_len || memcmp(buf + SECCOMP_CACHE_HEADER_LEN, key, key_len) != 0)
        return -ESTALE;
    size_t prog_len = lens[1] * sizeof(struct sock_filter);
    *insns = vse_zalloc(prog_len);
    memcpy(*insns, buf + SECCOMP_CACHE_HEADER_LEN + key_len, prog_len);
    *n_insns = lens[1];
    return 0;
}

/* Only a file nobody but us could have written may become a container's filter. */
static const char *untrusted_reason(const struct stat *st, char *buf, size_t size)
{
    if (!S_ISREG(st->st_mode))
        return "not a regular file";
    if (st->st_uid != geteuid()) {
        snprintf(buf, size, "owned by uid %u, not %u", (unsigned) st->st_uid,
                 (unsigned) geteuid());
        return buf;
    }
    if (st->st_mode & (S_IWGRP | S_IWOTH)) {
        snprintf(buf, size, "group or world writable (mode %04o)",
                 (unsigned) (st->st_mode & 07777));
        return buf;
    }
    if (st->st_size > (off_t) SECCOMP_CACHE_MAX_FILE)
        return "too large";
    return NULL;
}

static int read_exact(int fd, char *buf, size_t len)
{
    size_t off = 0;
    while (off < len) {
        ssize_t n = pread(fd, buf + off, len - off, (off_t) off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (n == 0)
            return -EBADMSG;
        off += (size_t) n;
    }
    return 0;
}

static void log_decode_failure(const struct vse_logger *log, const char *name, int ret)
{
    if (ret == -ESTALE)
        vse_log(log, VSE_LOG_DEBUG, "seccomp: cache miss: %s holds another profile (the key "
                "differs); compiling", name);
    else
        vse_log(log, VSE_LOG_WARN, "seccomp: cache file %s ignored: %s; compiling", name,
                ret == -EBADMSG ? "not a valid cache file" : strerror(-ret));
}

int seccomp_cache_lookup(int dirfd, const char *key, size_t key_len, struct sock_filter **insns,
                         size_t *n_insns, const struct vse_logger *log)
{
    char name[32];
    seccomp_cache_file_name(key, key_len, name);
    _cleanup_close_ int fd =
        openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        vse_log(log, VSE_LOG_DEBUG, "seccomp: cache miss: %s: %s", name, strerror(errno));
        return 0;
    }
    struct stat st;
    if (fstat(fd, &st) < 0) {
        vse_log(log, VSE_LOG_DEBUG, "seccomp: cache miss: fstat %s: %s", name, strerror(errno));
        return 0;
    }
    char why_buf[96];
    const char *why = untrusted_reason(&st, why_buf, sizeof(why_buf));
    if (why) {
        vse_log(log, VSE_LOG_WARN, "seccomp: cache file %s refused: %s; compiling", name, why);
        return 0;
    }
    size_t len = (size_t) st.st_size;
    _cleanup_free_ char *buf = vse_zalloc(len + 1);
    int ret = read_exact(fd, buf, len);
    if (ret == 0)
        ret = seccomp_cache_decode(buf, len, key, key_len, insns, n_insns);
    if (ret < 0) {
        log_decode_failure(log, name, ret);
        return 0;
    }
    vse_log(log, VSE_LOG_DEBUG, "seccomp: cache hit: %s (%zu BPF instructions)", name, *n_insns);
    return 1;
}

static int write_all_fd(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        buf += n;
        len -= (size_t) n;
    }
    return 0;
}

/* A private temp file: O_EXCL, so a planted file or symlink of that name is never written,
 * and another writer's temp file is never touched (that store just fails). */
static int create_temp(int dirfd, const char *tmp)
{
    int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return -errno;
    /* exactly 0600, whatever the umask */
    if (fchmod(fd, 0600) < 0) {
        int ret = -errno;
        close(fd);
        unlinkat(dirfd, tmp, 0);
        return ret;
    }
    return fd;
}

static int write_and_rename(int dirfd, const char *tmp, const char *name, const char *buf,
                            size_t len)
{
    _cleanup_close_ int fd = create_temp(dirfd, tmp);
    if (fd < 0)
        return fd;
    int ret = write_all_fd(fd, buf, len);
    if (ret == 0 && renameat(dirfd, tmp, dirfd, name) < 0)
        ret = -errno;
    if (ret < 0)
        unlinkat(dirfd, tmp, 0);
    return ret;
}

int seccomp_cache_store(int dirfd, const char *key, size_t key_len,
                        const struct sock_filter *insns, size_t n_insns,
                        const struct vse_logger *log)
{
    char name[32], tmp[64];
    seccomp_cache_file_name(key, key_len, name);
    size_t len = 0;
    _cleanup_free_ char *buf = seccomp_cache_encode(key, key_len, insns, n_insns, &len);
    if (buf == NULL) {
        vse_log(log, VSE_LOG_DEBUG, "seccomp: not cached: %zu BPF instructions and a %zu-byte "
                "key are over the cache's limits", n_insns, key_len);
        return -EFBIG;
    }
    /* Not the pid: every container init is pid 1 of its own namespace. */
    uint64_t nonce = 0;
    if (getrandom(&nonce, sizeof(nonce), GRND_NONBLOCK) != (ssize_t) sizeof(nonce))
        nonce = (uint64_t) getpid() ^ (uint64_t) (uintptr_t) &nonce;
    snprintf(tmp, sizeof(tmp), ".%s.%016llx.tmp", name, (unsigned long long) nonce);
    int ret = write_and_rename(dirfd, tmp, name, buf, len);
    if (ret < 0) {
        vse_log(log, VSE_LOG_WARN, "seccomp: cache file %s not written: %s", name,
                strerror(-ret));
        return ret;
    }
    vse_log(log, VSE_LOG_DEBUG, "seccomp: cache stored: %s (%zu BPF instructions)", name,
            n_insns);
    return 0;
}

int security_seccomp_cache_open(const char *state_root, const struct vse_logger *log)
{
    if (state_root == NULL)
        return -1;
    _cleanup_close_ int root = open(state_root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (root < 0 || (mkdirat(root, SECCOMP_CACHE_DIR, 0700) < 0 && errno != EEXIST)) {
        vse_log(log, VSE_LOG_DEBUG, "seccomp: no cache in %s: %s", state_root, strerror(errno));
        return -1;
    }
    _cleanup_close_ int fd =
        openat(root, SECCOMP_CACHE_DIR, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0) {
        vse_log(log, VSE_LOG_DEBUG, "seccomp: no cache: %s/%s: %s", state_root,
                SECCOMP_CACHE_DIR, strerror(errno));
        return -1;
    }
    if (st.st_uid != geteuid() || (st.st_mode & (S_IWGRP | S_IWOTH))) {
        vse_log(log, VSE_LOG_WARN, "seccomp: cache directory %s/%s refused: owner uid %u, mode "
                "%04o (must be uid %u and not group/world writable); compiling every time",
                state_root, SECCOMP_CACHE_DIR, (unsigned) st.st_uid,
                (unsigned) (st.st_mode & 07777), (unsigned) geteuid());
        return -1;
    }
    return steal_fd(&fd);
}
