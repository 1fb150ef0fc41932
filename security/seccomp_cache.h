/* Internal to security/: the cache of compiled seccomp filters (seccomp_cache.c), shared by
 * seccomp.c and the unit tests. docs/security.md ("Cache of the compiled filter") describes
 * the design; security.h has the public entry points. */
#ifndef VSE_SECURITY_SECCOMP_CACHE_H
#define VSE_SECURITY_SECCOMP_CACHE_H

#include <linux/filter.h>
#include <stddef.h>
#include <stdint.h>

#include "common/log.h"
#include "spec/spec.h"

#define SECCOMP_CACHE_DIR ".seccomp-cache"
/* "VSEBPF" + NUL + format version; the file is magic, key length, instruction count (both
 * uint32_t, native order), the key, the instructions. */
#define SECCOMP_CACHE_MAGIC "VSEBPF\0\1"
#define SECCOMP_CACHE_MAGIC_LEN 8
#define SECCOMP_CACHE_HEADER_LEN 16
/* A cache file larger than this is not read (and a key that would make one is not stored). */
#define SECCOMP_CACHE_MAX_FILE (8U << 20)
/* The kernel's limit on a classic BPF program (BPF_MAXINSNS). */
#define SECCOMP_CACHE_MAX_INSNS 4096U

/* The canonical text of everything that decides the generated program: the cache format, vse's
 * version, libseccomp's version and API level, the native architecture, and every field of
 * the seccomp section in order, each string length-prefixed so that no two sections give the
 * same text. Caller frees; *len is its length. */
char *seccomp_cache_key(const struct spec_seccomp *sc, size_t *len);

/* The cache file's name for a key: 64-bit FNV-1a of the key in hex plus ".bpf". The name only
 * finds the file; a hit needs the key stored in it to match byte for byte. */
void seccomp_cache_file_name(const char *key, size_t key_len, char name[32]);

/* Serialises key and program into one buffer (caller frees); NULL when the result would be
 * larger than SECCOMP_CACHE_MAX_FILE or the program longer than SECCOMP_CACHE_MAX_INSNS. */
char *seccomp_cache_encode(const char *key, size_t key_len, const struct sock_filter *insns,
                           size_t n_insns, size_t *out_len);

/* Checks a file's bytes against key. 0 and a copy of the program (caller frees) on a match;
 * -EBADMSG when the bytes are not a cache file (truncated, bad magic, lengths that do not add
 * up); -ESTALE when they are one for another key. */
int seccomp_cache_decode(const char *buf, size_t len, const char *key, size_t key_len,
                         struct sock_filter **insns, size_t *n_insns);

/* Looks the key up in the cache directory: 1 and the program on a hit, 0 on a miss. A file that
 * is not a regular file owned by this euid, is group/world writable, or does not decode is a
 * miss, with a log line saying why (it is replaced by the next store). */
int seccomp_cache_lookup(int dirfd, const char *key, size_t key_len, struct sock_filter **insns,
                         size_t *n_insns, const struct vse_logger *log);

/* Stores the program for key: a new 0600 file in the directory renamed over the name, so a
 * reader sees the old file or the new one, never a part. Best effort: failures are logged and
 * return a negative errno, the container starts anyway. */
int seccomp_cache_store(int dirfd, const char *key, size_t key_len,
                        const struct sock_filter *insns, size_t n_insns,
                        const struct vse_logger *log);

#endif
