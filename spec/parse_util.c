/* Typed accessors for the config parser: each one checks a value's JSON type and range and
 * names the path of the value at fault. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "spec/parse_internal.h"

sp_path sp_key(const char *base, const char *key)
{
    sp_path p;
    if (base == NULL || base[0] == '\0')
        snprintf(p.s, sizeof(p.s), "%s", key);
    else
        snprintf(p.s, sizeof(p.s), "%s.%s", base, key);
    return p;
}

sp_path sp_idx(const char *base, size_t i)
{
    sp_path p;
    snprintf(p.s, sizeof(p.s), "%s[%zu]", base, i);
    return p;
}

int sp_fail(struct vse_err *err, const char *path, const char *fmt, ...)
{
    char why[VSE_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    return vse_fail(err, EINVAL, "%s: %s", path[0] ? path : "(top level)", why);
}

static const char *type_phrase(enum json_type t)
{
    switch (t) {
    case JSON_BOOL:
        return "a boolean";
    case JSON_NUMBER:
        return "a number";
    case JSON_STRING:
        return "a string";
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    default:
        return "null";
    }
}

int sp_child(const json_node *obj, const char *base, const char *key, enum json_type want,
             bool required, const json_node **out, struct vse_err *err)
{
    const json_node *v = json_get(obj, key);
    *out = NULL;
    if (v == NULL || json_type_of(v) == JSON_NULL) {
        if (required)
            return sp_fail(err, sp_key(base, key).s, "is required");
        return 0;
    }
    if (json_type_of(v) != want)
        return sp_fail(err, sp_key(base, key).s, "must be %s, not %s", type_phrase(want),
                       json_type_name(json_type_of(v)));
    *out = v;
    return 0;
}

int sp_string(const json_node *obj, const char *base, const char *key, bool required, char **out,
              struct vse_err *err)
{
    const json_node *v;
    int ret = sp_child(obj, base, key, JSON_STRING, required, &v, err);
    if (ret < 0 || v == NULL)
        return ret;
    free(*out);
    *out = vse_strdup(json_string(v));
    return 0;
}

bool sp_is_abs_path(const char *s)
{
    return s != NULL && s[0] == '/';
}

int sp_abs_path(const json_node *obj, const char *base, const char *key, bool required,
                char **out, struct vse_err *err)
{
    int ret = sp_string(obj, base, key, required, out, err);
    if (ret < 0 || *out == NULL)
        return ret;
    if (!sp_is_abs_path(*out))
        return sp_fail(err, sp_key(base, key).s, "must be an absolute path, not \"%s\"", *out);
    return 0;
}

int sp_bool(const json_node *obj, const char *base, const char *key, bool *out,
            struct vse_err *err)
{
    const json_node *v;
    int ret = sp_child(obj, base, key, JSON_BOOL, false, &v, err);
    if (ret < 0 || v == NULL)
        return ret;
    *out = json_bool(v);
    return 0;
}

int sp_opt_bool(const json_node *obj, const char *base, const char *key, opt_bool *out,
                struct vse_err *err)
{
    const json_node *v;
    int ret = sp_child(obj, base, key, JSON_BOOL, false, &v, err);
    if (ret < 0 || v == NULL)
        return ret;
    out->set = true;
    out->value = json_bool(v);
    return 0;
}

int sp_int(const json_node *obj, const char *base, const char *key, bool required, int64_t min,
           int64_t max, int64_t *out, bool *set, struct vse_err *err)
{
    const json_node *v;
    int ret = sp_child(obj, base, key, JSON_NUMBER, required, &v, err);
    if (ret < 0 || v == NULL)
        return ret;
    int64_t x;
    ret = json_int64(v, &x);
    if (ret < 0 || x < min || x > max)
        return sp_fail(err, sp_key(base, key).s, "must be an integer from %" PRId64 " to %" PRId64,
                       min, max);
    *out = x;
    if (set)
        *set = true;
    return 0;
}

int sp_uint(const json_node *obj, const char *base, const char *key, bool required,
            uint64_t max, uint64_t *out, bool *set, struct vse_err *err)
{
    const json_node *v;
    int ret = sp_child(obj, base, key, JSON_NUMBER, required, &v, err);
    if (ret < 0 || v == NULL)
        return ret;
    uint64_t x;
    ret = json_uint64(v, &x);
    if (ret < 0 || x > max)
        return sp_fail(err, sp_key(base, key).s, "must be an integer from 0 to %" PRIu64, max);
    *out = x;
    if (set)
        *set = true;
    return 0;
}

int sp_u32(const json_node *obj, const char *base, const char *key, bool required, uint32_t *out,
           struct vse_err *err)
{
    uint64_t x = *out;
    int ret = sp_uint(obj, base, key, required, UINT32_MAX, &x, NULL, err);
    *out = (uint32_t) x;
    return ret;
}

int sp_opt_i64(const json_node *obj, const char *base, const char *key, opt_i64 *out,
               struct vse_err *err)
{
    return sp_int(obj, base, key, false, INT64_MIN, INT64_MAX, &out->value, &out->set, err);
}

int sp_opt_u64(const json_node *obj, const char *base, const char *key, opt_u64 *out,
               struct vse_err *err)
{
    return sp_uint(obj, base, key, false, UINT64_MAX, &out->value, &out->set, err);
}

static int strv_from(const json_node *arr, const char *path, bool abs_paths, char ***out,
                     struct vse_err *err)
{
    size_t n = json_array_len(arr);
    _cleanup_strv_ char **v = vse_zalloc((n + 1) * sizeof(char *));
    for (size_t i = 0; i < n; i++) {
        const char *s = json_string(json_array_get(arr, i));
        if (s == NULL)
            return sp_fail(err, sp_idx(path, i).s, "must be a string");
        if (abs_paths && !sp_is_abs_path(s))
            return sp_fail(err, sp_idx(path, i).s, "must be an absolute path, not \"%s\"", s);
        v[i] = vse_strdup(s);
    }
    vse_strv_free(*out);
    *out = steal_ptr(v);
    return 0;
}

int sp_strv(const json_node *obj, const char *base, const char *key, char ***out,
            struct vse_err *err)
{
    const json_node *v;
    int ret = sp_child(obj, base, key, JSON_ARRAY, false, &v, err);
    if (ret < 0 || v == NULL)
        return ret;
    return strv_from(v, sp_key(base, key).s, false, out, err);
}

int sp_abs_path_strv(const json_node *obj, const char *base, const char *key, char ***out,
                     struct vse_err *err)
{
    const json_node *v;
    int ret = sp_child(obj, base, key, JSON_ARRAY, false, &v, err);
    if (ret < 0 || v == NULL)
        return ret;
    return strv_from(v, sp_key(base, key).s, true, out, err);
}

void sp_kv_free(struct spec_kv *kv, size_t n)
{
    for (size_t i = 0; kv && i < n; i++) {
        free(kv[i].key);
        free(kv[i].value);
    }
    free(kv);
}

int sp_string_map(const json_node *obj, const char *base, const char *key, struct spec_kv **out,
                  size_t *n_out, struct vse_err *err)
{
    const json_node *m;
    int ret = sp_child(obj, base, key, JSON_OBJECT, false, &m, err);
    if (ret < 0 || m == NULL)
        return ret;
    sp_path path = sp_key(base, key);
    size_t n = json_object_len(m);
    sp_kv_free(*out, *n_out);
    *out = vse_zalloc(n * sizeof(**out));
    *n_out = n;
    for (size_t i = 0; i < n; i++) {
        const char *k = json_object_key(m, i);
        const char *s = json_string(json_object_value(m, i));
        if (s == NULL)
            return sp_fail(err, sp_key(path.s, k).s, "must be a string");
        if (k[0] == '\0')
            return sp_fail(err, path.s, "keys must not be empty");
        (*out)[i].key = vse_strdup(k);
        (*out)[i].value = vse_strdup(s);
    }
    return 0;
}

static int id_mapping(const json_node *n, const char *path, struct spec_id_mapping *m,
                      struct vse_err *err)
{
    if (json_type_of(n) != JSON_OBJECT)
        return sp_fail(err, path, "must be an object");
    int ret = sp_u32(n, path, "containerID", true, &m->container_id, err);
    if (ret == 0)
        ret = sp_u32(n, path, "hostID", true, &m->host_id, err);
    if (ret == 0)
        ret = sp_u32(n, path, "size", true, &m->size, err);
    if (ret < 0)
        return ret;
    if (m->size == 0)
        return sp_fail(err, sp_key(path, "size").s, "must be greater than 0");
    if ((uint64_t) m->container_id + m->size - 1 > UINT32_MAX ||
        (uint64_t) m->host_id + m->size - 1 > UINT32_MAX)
        return sp_fail(err, sp_key(path, "size").s, "range exceeds the 32-bit id space");
    return 0;
}

int sp_id_mappings(const json_node *obj, const char *base, const char *key,
                   struct spec_id_mapping **out, size_t *n_out, struct vse_err *err)
{
    const json_node *arr;
    int ret = sp_child(obj, base, key, JSON_ARRAY, false, &arr, err);
    if (ret < 0 || arr == NULL)
        return ret;
    sp_path path = sp_key(base, key);
    size_t n = json_array_len(arr);
    free(*out);
    *out = vse_zalloc(n * sizeof(**out));
    *n_out = n;
    for (size_t i = 0; i < n; i++) {
        ret = id_mapping(json_array_get(arr, i), sp_idx(path.s, i).s, &(*out)[i], err);
        if (ret < 0)
            return ret;
    }
    return 0;
}

int sp_lookup(const char *s, const char *const *names, size_t n)
{
    for (size_t i = 0; s && i < n; i++)
        if (names[i] && strcmp(s, names[i]) == 0)
            return (int) i;
    return -1;
}

/* "0-3,7": comma-separated CPU numbers and ascending ranges. */
bool sp_valid_cpu_list(const char *s)
{
    if (s[0] == '\0')
        return false;
    while (*s) {
        char *end;
        unsigned long a = strtoul(s, &end, 10), b = a;
        if (end == s || *s < '0' || *s > '9')
            return false;
        s = end;
        if (*s == '-') {
            s++;
            if (*s < '0' || *s > '9')
                return false;
            b = strtoul(s, &end, 10);
            s = end;
            if (b < a)
                return false;
        }
        if (*s == ',' && s[1] != '\0')
            s++;
        else if (*s != '\0')
            return false;
    }
    return true;
}

/* RFC 8259 leaves duplicate member names to the reader. Readers differ (yajl's tree keeps both,
 * json_get() finds the first, Go's runc takes the last), so a config with one could mean
 * different things to vse and to the tool that wrote or checked it: refuse it. */
int sp_check_duplicate_keys(const json_node *n, const char *path, struct vse_err *err)
{
    if (json_type_of(n) == JSON_ARRAY) {
        for (size_t i = 0; i < json_array_len(n); i++) {
            int ret = sp_check_duplicate_keys(json_array_get(n, i), sp_idx(path, i).s, err);
            if (ret < 0)
                return ret;
        }
        return 0;
    }
    if (json_type_of(n) != JSON_OBJECT)
        return 0;
    size_t len = json_object_len(n);
    for (size_t i = 0; i < len; i++) {
        const char *key = json_object_key(n, i);
        sp_path child = sp_key(path, key);
        for (size_t j = 0; j < i; j++)
            if (strcmp(json_object_key(n, j), key) == 0)
                return sp_fail(err, child.s, "duplicate key");
        int ret = sp_check_duplicate_keys(json_object_value(n, i), child.s, err);
        if (ret < 0)
            return ret;
    }
    return 0;
}
