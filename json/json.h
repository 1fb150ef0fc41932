/* All JSON reading and writing of vse goes through this header; yajl stays behind it so the
 * parser could be swapped without touching callers. */
#ifndef VSE_JSON_H
#define VSE_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

/* ---- reading: a parsed tree of read-only nodes ---- */
typedef struct json_node json_node;

enum json_type { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_OBJECT, JSON_ARRAY };

/* Parses text; the error message carries the parser's position. Free with json_free. */
int json_parse(const char *text, json_node **out, struct vse_err *err);
int json_parse_file(const char *path, json_node **out, struct vse_err *err);
void json_free(json_node *root);
static inline void json_freep(json_node **n)
{
    json_free(*n);
}
#define _cleanup_json_ __attribute__((cleanup(json_freep)))

enum json_type json_type_of(const json_node *n);
const char *json_type_name(enum json_type t); /* "string", "object", ... for messages */

/* Objects; json_get returns NULL when the key is absent (or n is not an object). */
size_t json_object_len(const json_node *n);
const char *json_object_key(const json_node *n, size_t i);
json_node *json_object_value(const json_node *n, size_t i);
json_node *json_get(const json_node *n, const char *key);

size_t json_array_len(const json_node *n);
json_node *json_array_get(const json_node *n, size_t i);

const char *json_string(const json_node *n); /* NULL unless a string */
bool json_bool(const json_node *n);          /* false unless true */
/* Integer values: -EINVAL if not an integer number, -ERANGE if it does not fit. */
int json_int64(const json_node *n, int64_t *out);
int json_uint64(const json_node *n, uint64_t *out);
int json_double(const json_node *n, double *out);

/* ---- writing ---- */
typedef struct json_writer json_writer;

json_writer *json_writer_new(bool pretty);
void json_writer_free(json_writer *w);
static inline void json_writer_freep(json_writer **w)
{
    json_writer_free(*w);
}
#define _cleanup_json_writer_ __attribute__((cleanup(json_writer_freep)))

void json_w_object_begin(json_writer *w);
void json_w_object_end(json_writer *w);
void json_w_array_begin(json_writer *w);
void json_w_array_end(json_writer *w);
void json_w_key(json_writer *w, const char *key);
void json_w_string(json_writer *w, const char *s); /* NULL writes null */
void json_w_int(json_writer *w, int64_t v);
void json_w_uint(json_writer *w, uint64_t v);
void json_w_double(json_writer *w, double v);
void json_w_bool(json_writer *w, bool v);
void json_w_null(json_writer *w);
/* Copies a parsed node (and everything under it) into the output. */
void json_w_node(json_writer *w, const json_node *n);
/* Convenience: key + value. */
void json_w_kv_string(json_writer *w, const char *key, const char *s);
void json_w_kv_int(json_writer *w, const char *key, int64_t v);
void json_w_kv_bool(json_writer *w, const char *key, bool v);

/* The text written so far (valid until the writer is freed or written again). */
const char *json_writer_text(json_writer *w, size_t *len);

#endif
