/* Private to spec/: the typed accessors every parser file shares, and the per-section parsers
 * and destructors. Every accessor names the JSON path of the value it complains about.
 *
 * Conventions: an absent key and an explicit `null` are the same thing (the Go bindings the
 * spec ships treat them alike); a wrong type or value is an EINVAL error "<path>: <why>". */
#ifndef VSE_SPEC_PARSE_INTERNAL_H
#define VSE_SPEC_PARSE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "json/json.h"
#include "spec/spec.h"

/* A JSON path such as "linux.namespaces[2].type", built on the stack as the parser descends. */
#define SP_PATH_MAX 512
typedef struct {
    char s[SP_PATH_MAX];
} sp_path;

sp_path sp_key(const char *base, const char *key); /* base "" gives just key */
sp_path sp_idx(const char *base, size_t i);

int sp_fail(struct vse_err *err, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The child `key` of obj when it has type want; *out NULL when absent or null (an error when
 * required). */
int sp_child(const json_node *obj, const char *base, const char *key, enum json_type want,
             bool required, const json_node **out, struct vse_err *err);

/* Scalars. Absent optional keys leave *out untouched. */
int sp_string(const json_node *obj, const char *base, const char *key, bool required, char **out,
              struct vse_err *err);
int sp_abs_path(const json_node *obj, const char *base, const char *key, bool required,
                char **out, struct vse_err *err);
int sp_bool(const json_node *obj, const char *base, const char *key, bool *out,
            struct vse_err *err);
int sp_opt_bool(const json_node *obj, const char *base, const char *key, opt_bool *out,
                struct vse_err *err);
/* Integers with inclusive bounds; *set (may be NULL) tells whether the key was there. */
int sp_int(const json_node *obj, const char *base, const char *key, bool required, int64_t min,
           int64_t max, int64_t *out, bool *set, struct vse_err *err);
int sp_uint(const json_node *obj, const char *base, const char *key, bool required,
            uint64_t max, uint64_t *out, bool *set, struct vse_err *err);
int sp_u32(const json_node *obj, const char *base, const char *key, bool required, uint32_t *out,
           struct vse_err *err);
int sp_opt_i64(const json_node *obj, const char *base, const char *key, opt_i64 *out,
               struct vse_err *err);
int sp_opt_u64(const json_node *obj, const char *base, const char *key, opt_u64 *out,
               struct vse_err *err);

/* An array of strings as a NULL-terminated strv (NULL when absent). */
int sp_strv(const json_node *obj, const char *base, const char *key, char ***out,
            struct vse_err *err);
/* Same, each entry an absolute path. */
int sp_abs_path_strv(const json_node *obj, const char *base, const char *key, char ***out,
                     struct vse_err *err);
/* An object of string values (annotations, sysctl, unified). */
int sp_string_map(const json_node *obj, const char *base, const char *key, struct spec_kv **out,
                  size_t *n, struct vse_err *err);
void sp_kv_free(struct spec_kv *kv, size_t n);
/* linux.uidMappings, mounts[i].gidMappings, ... */
int sp_id_mappings(const json_node *obj, const char *base, const char *key,
                   struct spec_id_mapping **out, size_t *n, struct vse_err *err);

/* Refuses objects that name a member twice, anywhere under n. */
int sp_check_duplicate_keys(const json_node *n, const char *path, struct vse_err *err);

/* Index of s in names[0..n), or -1. */
int sp_lookup(const char *s, const char *const *names, size_t n);

bool sp_is_abs_path(const char *s);
/* A CPU list such as "0-3,7". */
bool sp_valid_cpu_list(const char *s);

/* Section parsers: they fill a zeroed struct in place; on error the caller frees it. */
int sp_parse_process(const json_node *n, const char *base, struct spec_process *p,
                     struct vse_err *err);
int sp_parse_linux(const json_node *n, const char *base, struct spec_linux *l,
                   struct vse_err *err);
int sp_parse_resources(const json_node *n, const char *base, struct spec_resources *r,
                       struct vse_err *err);
int sp_parse_seccomp(const json_node *n, const char *base, struct spec_seccomp *sc,
                     struct vse_err *err);

void sp_linux_free(struct spec_linux *l);

/* Name tables shared by the parser and `vse features` (indexes are the spec.h enums). */
extern const char *const sp_seccomp_actions[];
extern const size_t sp_n_seccomp_actions;
extern const char *const sp_seccomp_ops[];
extern const size_t sp_n_seccomp_ops;
extern const char *const sp_seccomp_archs[];
extern const size_t sp_n_seccomp_archs;
extern const char *const sp_seccomp_flags[];
extern const size_t sp_n_seccomp_flags;
void sp_seccomp_free(struct spec_seccomp *sc);

#endif
