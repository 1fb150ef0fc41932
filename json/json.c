#include "json/json.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <limits.h>
#include <math.h>
#include <string.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "common/cleanup.h"
#include "common/util.h"

/* A json_node is a yajl_val; the struct is never defined, only cast. */
#define V(n) ((yajl_val) (n))
#define N(v) ((json_node *) (v))

int json_parse(const char *text, json_node **out, struct vse_err *err)
{
    char errbuf[512] = "";
    yajl_val v = yajl_tree_parse(text, errbuf, sizeof(errbuf));
    if (v == NULL) {
        /* yajl's message spans lines with a caret marker; keep the first line. */
        char *nl = strchr(errbuf, '\n');
        if (nl)
            *nl = '\0';
        return vse_fail(err, EINVAL, "invalid JSON: %s", errbuf[0] ? errbuf : "parse error");
    }
    *out = N(v);
    return 0;
}

int json_parse_file(const char *path, json_node **out, struct vse_err *err)
{
    _cleanup_free_ char *text = NULL;
    int ret = vse_read_file_at(AT_FDCWD, path, &text, NULL, err);
    if (ret < 0)
        return ret;
    ret = json_parse(text, out, err);
    if (ret < 0)
        return vse_err_prefix(err, "%s", path);
    return 0;
}

void json_free(json_node *root)
{
    if (root)
        yajl_tree_free(V(root));
}

enum json_type json_type_of(const json_node *n)
{
    yajl_val v = V(n);
    if (v == NULL)
        return JSON_NULL;
    switch (v->type) {
    case yajl_t_string:
        return JSON_STRING;
    case yajl_t_number:
        return JSON_NUMBER;
    case yajl_t_object:
        return JSON_OBJECT;
    case yajl_t_array:
        return JSON_ARRAY;
    case yajl_t_true:
    case yajl_t_false:
        return JSON_BOOL;
    default:
        return JSON_NULL;
    }
}

const char *json_type_name(enum json_type t)
{
    static const char *const names[] = {"null", "boolean", "number", "string", "object", "array"};
    return names[t];
}

size_t json_object_len(const json_node *n)
{
    return YAJL_IS_OBJECT(V(n)) ? V(n)->u.object.len : 0;
}

const char *json_object_key(const json_node *n, size_t i)
{
    return V(n)->u.object.keys[i];
}

json_node *json_object_value(const json_node *n, size_t i)
{
    return N(V(n)->u.object.values[i]);
}

json_node *json_get(const json_node *n, const char *key)
{
    yajl_val v = V(n);
    if (!YAJL_IS_OBJECT(v))
        return NULL;
    for (size_t i = 0; i < v->u.object.len; i++)
        if (strcmp(v->u.object.keys[i], key) == 0)
            return N(v->u.object.values[i]);
    return NULL;
}

size_t json_array_len(const json_node *n)
{
    return YAJL_IS_ARRAY(V(n)) ? V(n)->u.array.len : 0;
}

json_node *json_array_get(const json_node *n, size_t i)
{
    return N(V(n)->u.array.values[i]);
}

const char *json_string(const json_node *n)
{
    return YAJL_IS_STRING(V(n)) ? V(n)->u.string : NULL;
}

bool json_bool(const json_node *n)
{
    return YAJL_IS_TRUE(V(n));
}

int json_int64(const json_node *n, int64_t *out)
{
    yajl_val v = V(n);
    if (!YAJL_IS_NUMBER(v))
        return -EINVAL;
    if (!YAJL_IS_INTEGER(v)) {
        /* yajl marks out-of-range integers as non-integer; tell the two apart. */
        const char *s = v->u.number.r;
        if (s && strpbrk(s, ".eE") == NULL)
            return -ERANGE;
        return -EINVAL;
    }
    *out = v->u.number.i;
    return 0;
}

int json_uint64(const json_node *n, uint64_t *out)
{
    yajl_val v = V(n);
    if (!YAJL_IS_NUMBER(v))
        return -EINVAL;
    const char *s = v->u.number.r;
    if (s == NULL || strpbrk(s, ".eE") != NULL)
        return -EINVAL;
    if (s[0] == '-')
        return -ERANGE;
    return vse_parse_uint64(s, out);
}

int json_double(const json_node *n, double *out)
{
    yajl_val v = V(n);
    if (!YAJL_IS_NUMBER(v))
        return -EINVAL;
    *out = v->u.number.d;
    return 0;
}

/* ---- writing ---- */
struct json_writer {
    yajl_gen gen;
};

json_writer *json_writer_new(bool pretty)
{
    json_writer *w = vse_zalloc(sizeof(*w));
    w->gen = yajl_gen_alloc(NULL);
    if (w->gen == NULL)
        abort();
    yajl_gen_config(w->gen, yajl_gen_beautify, pretty ? 1 : 0);
    if (pretty)
        yajl_gen_config(w->gen, yajl_gen_indent_string, "  ");
    yajl_gen_config(w->gen, yajl_gen_validate_utf8, 0);
    return w;
}

void json_writer_free(json_writer *w)
{
    if (w == NULL)
        return;
    yajl_gen_free(w->gen);
    free(w);
}

void json_w_object_begin(json_writer *w)
{
    yajl_gen_map_open(w->gen);
}
void json_w_object_end(json_writer *w)
{
    yajl_gen_map_close(w->gen);
}
void json_w_array_begin(json_writer *w)
{
    yajl_gen_array_open(w->gen);
}
void json_w_array_end(json_writer *w)
{
    yajl_gen_array_close(w->gen);
}

void json_w_key(json_writer *w, const char *key)
{
    yajl_gen_string(w->gen, (const unsigned char *) key, strlen(key));
}

void json_w_string(json_writer *w, const char *s)
{
    if (s == NULL)
        yajl_gen_null(w->gen);
    else
        yajl_gen_string(w->gen, (const unsigned char *) s, strlen(s));
}

void json_w_int(json_writer *w, int64_t v)
{
    yajl_gen_integer(w->gen, v);
}

void json_w_uint(json_writer *w, uint64_t v)
{
    char buf[32];
    int n = snprintf(buf, sizeof(buf), "%llu", (unsigned long long) v);
    yajl_gen_number(w->gen, buf, (size_t) n);
}

void json_w_double(json_writer *w, double v)
{
    yajl_gen_double(w->gen, v);
}

void json_w_bool(json_writer *w, bool v)
{
    yajl_gen_bool(w->gen, v);
}

void json_w_null(json_writer *w)
{
    yajl_gen_null(w->gen);
}

void json_w_node(json_writer *w, const json_node *n)
{
    yajl_val v = V(n);
    switch (json_type_of(n)) {
    case JSON_NULL:
        json_w_null(w);
        break;
    case JSON_BOOL:
        json_w_bool(w, YAJL_IS_TRUE(v));
        break;
    case JSON_NUMBER:
        yajl_gen_number(w->gen, v->u.number.r, strlen(v->u.number.r));
        break;
    case JSON_STRING:
        json_w_string(w, v->u.string);
        break;
    case JSON_OBJECT:
        json_w_object_begin(w);
        for (size_t i = 0; i < v->u.object.len; i++) {
            json_w_key(w, v->u.object.keys[i]);
            json_w_node(w, N(v->u.object.values[i]));
        }
        json_w_object_end(w);
        break;
    case JSON_ARRAY:
        json_w_array_begin(w);
        for (size_t i = 0; i < v->u.array.len; i++)
            json_w_node(w, N(v->u.array.values[i]));
        json_w_array_end(w);
        break;
    }
}

void json_w_kv_string(json_writer *w, const char *key, const char *s)
{
    json_w_key(w, key);
    json_w_string(w, s);
}

void json_w_kv_int(json_writer *w, const char *key, int64_t v)
{
    json_w_key(w, key);
    json_w_int(w, v);
}

void json_w_kv_bool(json_writer *w, const char *key, bool v)
{
    json_w_key(w, key);
    json_w_bool(w, v);
}

const char *json_writer_text(json_writer *w, size_t *len)
{
    const unsigned char *buf = NULL;
    size_t l = 0;
    yajl_gen_get_buf(w->gen, &buf, &l);
    if (len)
        *len = l;
    return (const char *) buf;
}
