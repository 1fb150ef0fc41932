/* The top level of config.json: ociVersion, root, hostname, mounts, hooks, annotations; the
 * process and linux sections live in their own files. Also the public entry points, the
 * destructors and the small lookups. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "spec/parse_internal.h"
#include "spec/spec.h"

/* ---- ociVersion ---- */

static bool parse_digits(const char **p)
{
    const char *s = *p;
    if (!isdigit((unsigned char) *s))
        return false;
    if (s[0] == '0' && isdigit((unsigned char) s[1]))
        return false; /* SemVer forbids leading zeros */
    while (isdigit((unsigned char) *s))
        s++;
    *p = s;
    return true;
}

/* SemVer 1.MINOR.PATCH[-pre][+build] with MINOR 0..3: the versions this parser understands. */
static bool oci_version_supported(const char *v)
{
    if (strncmp(v, "1.", 2) != 0 || v[2] < '0' || v[2] > '3' || v[3] != '.')
        return false;
    const char *p = v + 4;
    if (!parse_digits(&p))
        return false;
    if (*p != '\0' && *p != '-' && *p != '+')
        return false;
    if (*p != '\0' && p[1] == '\0')
        return false;
    for (; *p; p++)
        if (!isalnum((unsigned char) *p) && *p != '.' && *p != '-' && *p != '+')
            return false;
    return true;
}

static int parse_oci_version(const json_node *root, struct spec *s, struct vse_err *err)
{
    int ret = sp_string(root, "", "ociVersion", true, &s->oci_version, err);
    if (ret < 0)
        return ret;
    if (!oci_version_supported(s->oci_version))
        return sp_fail(err, "ociVersion",
                       "unsupported version \"%s\" (vse supports 1.0.0 to 1.3.x)",
                       s->oci_version);
    return 0;
}

/* ---- root, mounts ---- */

static int parse_root(const json_node *doc, struct spec *s, struct vse_err *err)
{
    const json_node *n;
    int ret = sp_child(doc, "", "root", JSON_OBJECT, true, &n, err);
    if (ret < 0)
        return ret;
    s->root = vse_zalloc(sizeof(*s->root));
    ret = sp_string(n, "root", "path", true, &s->root->path, err);
    if (ret < 0)
        return ret;
    if (s->root->path[0] == '\0')
        return sp_fail(err, "root.path", "must not be empty");
    return sp_bool(n, "root", "readonly", &s->root->readonly, err);
}

static int parse_mount(const json_node *n, const char *path, struct spec_mount *m,
                       struct vse_err *err)
{
    if (json_type_of(n) != JSON_OBJECT)
        return sp_fail(err, path, "must be an object");
    int ret = sp_string(n, path, "destination", true, &m->destination, err);
    if (ret < 0)
        return ret;
    if (!sp_is_abs_path(m->destination))
        return sp_fail(err, sp_key(path, "destination").s,
                       "must be an absolute path, not \"%s\"", m->destination);
    if ((ret = sp_string(n, path, "type", false, &m->type, err)) < 0 ||
        (ret = sp_string(n, path, "source", false, &m->source, err)) < 0 ||
        (ret = sp_strv(n, path, "options", &m->options, err)) < 0 ||
        (ret = sp_id_mappings(n, path, "uidMappings", &m->uid_mappings, &m->n_uid_mappings,
                              err)) < 0 ||
        (ret = sp_id_mappings(n, path, "gidMappings", &m->gid_mappings, &m->n_gid_mappings,
                              err)) < 0)
        return ret;
    if ((m->n_uid_mappings == 0) != (m->n_gid_mappings == 0))
        return sp_fail(err, path, "uidMappings and gidMappings must be given together");
    return 0;
}

static int parse_mounts(const json_node *doc, struct spec *s, struct vse_err *err)
{
    const json_node *arr;
    int ret = sp_child(doc, "", "mounts", JSON_ARRAY, false, &arr, err);
    if (ret < 0 || arr == NULL)
        return ret;
    s->n_mounts = json_array_len(arr);
    s->mounts = vse_zalloc(s->n_mounts * sizeof(*s->mounts));
    for (size_t i = 0; i < s->n_mounts; i++) {
        ret = parse_mount(json_array_get(arr, i), sp_idx("mounts", i).s, &s->mounts[i], err);
        if (ret < 0)
            return ret;
    }
    return 0;
}

/* ---- hooks ---- */

static int parse_hook(const json_node *n, const char *path, struct spec_hook *h,
                      struct vse_err *err)
{
    if (json_type_of(n) != JSON_OBJECT)
        return sp_fail(err, path, "must be an object");
    int ret;
    if ((ret = sp_abs_path(n, path, "path", true, &h->path, err)) < 0 ||
        (ret = sp_strv(n, path, "args", &h->args, err)) < 0 ||
        (ret = sp_strv(n, path, "env", &h->env, err)) < 0)
        return ret;
    ret = sp_int(n, path, "timeout", false, INT64_MIN, INT64_MAX, &h->timeout.value,
                 &h->timeout.set, err);
    if (ret < 0)
        return ret;
    if (h->timeout.set && h->timeout.value <= 0)
        return sp_fail(err, sp_key(path, "timeout").s, "must be greater than 0");
    return 0;
}

static int parse_hook_list(const json_node *hooks, const char *key, struct spec_hook_list *l,
                           struct vse_err *err)
{
    const json_node *arr;
    int ret = sp_child(hooks, "hooks", key, JSON_ARRAY, false, &arr, err);
    if (ret < 0 || arr == NULL)
        return ret;
    sp_path path = sp_key("hooks", key);
    l->n = json_array_len(arr);
    l->hooks = vse_zalloc(l->n * sizeof(*l->hooks));
    for (size_t i = 0; i < l->n; i++) {
        ret = parse_hook(json_array_get(arr, i), sp_idx(path.s, i).s, &l->hooks[i], err);
        if (ret < 0)
            return ret;
    }
    return 0;
}

static int parse_hooks(const json_node *doc, struct spec_hooks *h, struct vse_err *err)
{
    const json_node *n;
    int ret = sp_child(doc, "", "hooks", JSON_OBJECT, false, &n, err);
    if (ret < 0 || n == NULL)
        return ret;
    if ((ret = parse_hook_list(n, "prestart", &h->prestart, err)) < 0 ||
        (ret = parse_hook_list(n, "createRuntime", &h->create_runtime, err)) < 0 ||
        (ret = parse_hook_list(n, "createContainer", &h->create_container, err)) < 0 ||
        (ret = parse_hook_list(n, "startContainer", &h->start_container, err)) < 0 ||
        (ret = parse_hook_list(n, "poststart", &h->poststart, err)) < 0 ||
        (ret = parse_hook_list(n, "poststop", &h->poststop, err)) < 0)
        return ret;
    return 0;
}

/* ---- the document ---- */

static int parse_process_section(const json_node *doc, struct spec *s, struct vse_err *err)
{
    const json_node *n;
    int ret = sp_child(doc, "", "process", JSON_OBJECT, false, &n, err);
    if (ret < 0 || n == NULL)
        return ret;
    s->process = vse_zalloc(sizeof(*s->process));
    return sp_parse_process(n, "process", s->process, err);
}

static int parse_linux_section(const json_node *doc, struct spec *s, struct vse_err *err)
{
    const json_node *n;
    int ret = sp_child(doc, "", "linux", JSON_OBJECT, false, &n, err);
    if (ret < 0 || n == NULL)
        return ret;
    s->linux_ = vse_zalloc(sizeof(*s->linux_));
    return sp_parse_linux(n, "linux", s->linux_, err);
}

static int parse_document(const json_node *doc, struct spec *s, struct vse_err *err)
{
    if (json_type_of(doc) != JSON_OBJECT)
        return vse_fail(err, EINVAL, "config must be a JSON object, not %s",
                        json_type_name(json_type_of(doc)));
    int ret;
    if ((ret = sp_check_duplicate_keys(doc, "", err)) < 0 ||
        (ret = parse_oci_version(doc, s, err)) < 0 ||
        (ret = parse_root(doc, s, err)) < 0 ||
        (ret = sp_string(doc, "", "hostname", false, &s->hostname, err)) < 0 ||
        (ret = sp_string(doc, "", "domainname", false, &s->domainname, err)) < 0 ||
        (ret = parse_mounts(doc, s, err)) < 0 ||
        (ret = parse_hooks(doc, &s->hooks, err)) < 0 ||
        (ret = sp_string_map(doc, "", "annotations", &s->annotations, &s->n_annotations,
                             err)) < 0 ||
        (ret = parse_process_section(doc, s, err)) < 0 ||
        (ret = parse_linux_section(doc, s, err)) < 0)
        return ret;
    return 0;
}

int spec_parse(const char *json_text, struct spec **out, struct vse_err *err)
{
    _cleanup_json_ json_node *doc = NULL;
    int ret = json_parse(json_text, &doc, err);
    if (ret < 0)
        return ret;
    _cleanup_spec_ struct spec *s = vse_zalloc(sizeof(*s));
    ret = parse_document(doc, s, err);
    if (ret < 0)
        return ret;
    *out = steal_ptr(s);
    return 0;
}

int spec_load_bundle(const char *bundle_dir, struct spec **out, struct vse_err *err)
{
    _cleanup_free_ char *path = vse_asprintf("%s/config.json", bundle_dir ? bundle_dir : ".");
    _cleanup_free_ char *text = NULL;
    int ret = vse_read_file_at(AT_FDCWD, path, &text, NULL, err);
    if (ret < 0)
        return ret;
    ret = spec_parse(text, out, err);
    if (ret < 0)
        return vse_err_prefix(err, "%s", path);
    return 0;
}

/* json_text parsed as one JSON object without duplicate keys; what names it in errors. */
static int parse_object_text(const char *json_text, const char *what, json_node **out,
                             struct vse_err *err)
{
    _cleanup_json_ json_node *doc = NULL;
    int ret = json_parse(json_text, &doc, err);
    if (ret < 0)
        return ret;
    if (json_type_of(doc) != JSON_OBJECT)
        return vse_fail(err, EINVAL, "%s must be a JSON object, not %s", what,
                        json_type_name(json_type_of(doc)));
    if ((ret = sp_check_duplicate_keys(doc, "", err)) < 0)
        return ret;
    *out = steal_ptr(doc);
    return 0;
}

int spec_parse_process(const char *json_text, struct spec_process **out, struct vse_err *err)
{
    _cleanup_json_ json_node *doc = NULL;
    int ret = parse_object_text(json_text, "process", &doc, err);
    if (ret < 0)
        return ret;
    struct spec_process *p = vse_zalloc(sizeof(*p));
    ret = sp_parse_process(doc, "", p, err);
    if (ret < 0) {
        spec_process_free(p);
        return ret;
    }
    *out = p;
    return 0;
}

int spec_parse_resources(const char *json_text, struct spec_resources **out,
                         struct vse_err *err)
{
    _cleanup_json_ json_node *doc = NULL;
    int ret = parse_object_text(json_text, "resources", &doc, err);
    if (ret < 0)
        return ret;
    struct spec_resources *r = vse_zalloc(sizeof(*r));
    ret = sp_parse_resources(doc, "", r, err);
    if (ret < 0) {
        spec_resources_free(r);
        return ret;
    }
    *out = r;
    return 0;
}

/* ---- destructors ---- */

static void process_free_parts(struct spec_process *p)
{
    free(p->user.additional_gids);
    free(p->user.username);
    vse_strv_free(p->args);
    vse_strv_free(p->env);
    free(p->cwd);
    free(p->capabilities);
    for (size_t i = 0; p->rlimits && i < p->n_rlimits; i++)
        free(p->rlimits[i].type);
    free(p->rlimits);
    free(p->apparmor_profile);
    free(p->selinux_label);
    free(p->scheduler);
    free(p->exec_cpu_affinity_initial);
    free(p->exec_cpu_affinity_final);
}

void spec_process_free(struct spec_process *p)
{
    if (p == NULL)
        return;
    process_free_parts(p);
    free(p);
}

static void hook_list_free(struct spec_hook_list *l)
{
    for (size_t i = 0; l->hooks && i < l->n; i++) {
        free(l->hooks[i].path);
        vse_strv_free(l->hooks[i].args);
        vse_strv_free(l->hooks[i].env);
    }
    free(l->hooks);
}

static void mounts_free(struct spec_mount *m, size_t n)
{
    for (size_t i = 0; m && i < n; i++) {
        free(m[i].destination);
        free(m[i].type);
        free(m[i].source);
        vse_strv_free(m[i].options);
        free(m[i].uid_mappings);
        free(m[i].gid_mappings);
    }
    free(m);
}

void spec_free(struct spec *s)
{
    if (s == NULL)
        return;
    free(s->oci_version);
    spec_process_free(s->process);
    if (s->root)
        free(s->root->path);
    free(s->root);
    free(s->hostname);
    free(s->domainname);
    mounts_free(s->mounts, s->n_mounts);
    hook_list_free(&s->hooks.prestart);
    hook_list_free(&s->hooks.create_runtime);
    hook_list_free(&s->hooks.create_container);
    hook_list_free(&s->hooks.start_container);
    hook_list_free(&s->hooks.poststart);
    hook_list_free(&s->hooks.poststop);
    sp_kv_free(s->annotations, s->n_annotations);
    sp_linux_free(s->linux_);
    free(s);
}

/* ---- lookups ---- */

const struct spec_namespace *spec_find_namespace(const struct spec *s, enum spec_ns_type type)
{
    if (s == NULL || s->linux_ == NULL)
        return NULL;
    for (size_t i = 0; i < s->linux_->n_namespaces; i++)
        if (s->linux_->namespaces[i].type == type)
            return &s->linux_->namespaces[i];
    return NULL;
}

const char *spec_get_annotation(const struct spec *s, const char *key)
{
    for (size_t i = 0; s && key && i < s->n_annotations; i++)
        if (strcmp(s->annotations[i].key, key) == 0)
            return s->annotations[i].value;
    return NULL;
}
