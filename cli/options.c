/* Command-line words -> option callbacks, the way runc's flag parser reads them: `--flag value`,
 * `--flag=value`, `-f value`, and single-dash long names (`-bundle x`) as Go's flag package
 * takes them. Also the value parsers for sizes and durations. */
#include "cli/cli.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/util.h"

static const struct cli_opt *find_opt(const struct cli_opt *opts, const char *name, size_t len)
{
    for (const struct cli_opt *o = opts; o && o->name; o++) {
        if (strlen(o->name) == len && strncmp(o->name, name, len) == 0)
            return o;
        if (len == 1 && o->short_name == name[0])
            return o;
    }
    return NULL;
}

static bool is_help(const char *name, size_t len)
{
    return (len == 4 && strncmp(name, "help", 4) == 0) || (len == 1 && name[0] == 'h');
}

int cli_flag_bool(const char *value, bool *out, struct vse_err *err)
{
    if (value == NULL || strcmp(value, "true") == 0 || strcmp(value, "1") == 0) {
        *out = true;
        return 0;
    }
    if (strcmp(value, "false") == 0 || strcmp(value, "0") == 0) {
        *out = false;
        return 0;
    }
    return vse_fail(err, EINVAL, "invalid boolean value \"%s\"", value);
}

/* One word that starts with a dash: finds the option, takes its value (inline or the next
 * word) and calls the setter. *i is advanced past a consumed value. */
static int parse_one_flag(const struct cli_parse *p, int argc, char **argv, int *i, bool *help,
                          struct vse_err *err)
{
    const char *word = argv[*i];
    const char *name = word + 1;
    if (*name == '-')
        name++;
    const char *eq = strchr(name, '=');
    size_t len = eq ? (size_t) (eq - name) : strlen(name);
    if (len == 0)
        return vse_fail(err, EINVAL, "bad flag syntax: %s", word);
    if (is_help(name, len) && find_opt(p->opts, name, len) == NULL) {
        *help = true;
        return 0;
    }
    const struct cli_opt *o = find_opt(p->opts, name, len);
    if (o == NULL)
        return vse_fail(err, EINVAL, "flag provided but not defined: -%.*s", (int) len, name);
    const char *value = eq ? eq + 1 : NULL;
    if (o->has_arg && value == NULL) {
        if (*i + 1 >= argc)
            return vse_fail(err, EINVAL, "flag needs an argument: -%s", o->name);
        value = argv[++*i];
    }
    return p->set(p->data, o->id, value, err);
}

int cli_parse_args(const struct cli_parse *p, int argc, char **argv, char ***positional,
                   bool *help, struct vse_err *err)
{
    _cleanup_strv_ char **pos = vse_zalloc(sizeof(char *));
    bool options_done = false;
    *help = false;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!options_done && strcmp(a, "--") == 0) {
            options_done = true;
            continue;
        }
        if (options_done || a[0] != '-' || a[1] == '\0') {
            vse_strv_push(&pos, a);
            if (p->stop_at_positional)
                options_done = true;
            continue;
        }
        int r = parse_one_flag(p, argc, argv, &i, help, err);
        if (r < 0)
            return r;
    }
    *positional = steal_ptr(pos);
    return 0;
}

int cli_check_args(const char *cmd, char **positional, int min, int max, struct vse_err *err)
{
    int n = (int) vse_strv_len(positional);
    if (min == max && n != min)
        return vse_fail(err, EINVAL, "vse: \"%s\" requires exactly %d argument(s)", cmd, min);
    if (n < min)
        return vse_fail(err, EINVAL, "vse: \"%s\" requires a minimum of %d argument(s)", cmd,
                        min);
    if (max >= 0 && n > max)
        return vse_fail(err, EINVAL, "vse: \"%s\" requires a maximum of %d argument(s)", cmd,
                        max);
    return 0;
}

/* Binary multiplier of a unit letter (k, m, g, t, p), 1 for none, 0 for unknown. */
static double unit_multiplier(char c)
{
    static const char units[] = "kmgtp";
    if (c == '\0')
        return 1;
    const char *u = strchr(units, tolower((unsigned char) c));
    if (u == NULL)
        return 0;
    double m = 1;
    for (const char *k = units; k <= u; k++)
        m *= 1024.0;
    return m;
}

int cli_parse_preserve_fds(const char *value, int *out, struct vse_err *err)
{
    int64_t n;
    if (vse_parse_int64(value, &n) < 0 || n < 0 || n > 65536)
        return vse_fail(err, EINVAL, "invalid value \"%s\" for flag -preserve-fds", value);
    *out = (int) n;
    return 0;
}

int cli_parse_size(const char *s, int64_t *out)
{
    if (strcmp(s, "-1") == 0) {
        *out = -1;
        return 0;
    }
    const char *p = s;
    while (isdigit((unsigned char) *p) || *p == '.')
        p++;
    if (p == s || !isdigit((unsigned char) s[0]))
        return -EINVAL;
    _cleanup_free_ char *num = vse_strndup(s, (size_t) (p - s));
    char *end;
    errno = 0;
    double v = strtod(num, &end);
    if (*end != '\0' || errno != 0)
        return -EINVAL;
    if (*p == ' ')
        p++;
    char unit = '\0';
    if (*p && strchr("kKmMgGtTpP", *p))
        unit = *p++;
    if (*p == 'i' || *p == 'I')
        p++;
    if (*p == 'b' || *p == 'B')
        p++;
    if (*p != '\0')
        return -EINVAL;
    double bytes = v * unit_multiplier(unit);
    if (bytes >= 9.2e18)
        return -ERANGE;
    *out = (int64_t) bytes;
    return 0;
}

/* Nanoseconds in one unit of a Go duration, 0 when the unit is unknown; *len gets its length. */
static double duration_unit_ns(const char *u, size_t *len)
{
    static const struct { const char *name; double ns; } units[] = {
        {"ns", 1}, {"us", 1e3}, {"\xc2\xb5s", 1e3}, {"ms", 1e6}, {"s", 1e9}, {"m", 60e9},
        {"h", 3600e9},
    };
    for (size_t i = 0; i < VSE_ARRAY_SIZE(units); i++) {
        size_t n = strlen(units[i].name);
        if (strncmp(u, units[i].name, n) == 0 && !isalpha((unsigned char) u[n])) {
            *len = n;
            return units[i].ns;
        }
    }
    return 0;
}

int cli_parse_duration_ms(const char *s, uint64_t *out)
{
    if (strcmp(s, "0") == 0) {
        *out = 0;
        return 0;
    }
    double total_ns = 0;
    const char *p = s;
    if (*p == '\0')
        return -EINVAL;
    while (*p) {
        char *end;
        if (!isdigit((unsigned char) *p) && *p != '.')
            return -EINVAL;
        double v = strtod(p, &end);
        if (end == p)
            return -EINVAL;
        size_t ulen = 0;
        double ns = duration_unit_ns(end, &ulen);
        if (ns == 0)
            return -EINVAL;
        total_ns += v * ns;
        p = end + ulen;
    }
    *out = (uint64_t) (total_ns / 1e6);
    return 0;
}

void cli_print_usage(FILE *f, const char *name, const char *usage, const char *desc,
                     const struct cli_opt *opts)
{
    fprintf(f, "Usage: vse %s %s\n\n%s\n", name, usage, desc);
    bool any = false;
    for (const struct cli_opt *o = opts; o && o->name; o++) {
        if (o->help == NULL)
            continue;
        if (!any)
            fputs("\nOptions:\n", f);
        any = true;
        char left[64];
        if (o->short_name)
            snprintf(left, sizeof(left), "--%s%s, -%c%s", o->name, o->has_arg ? " value" : "",
                     o->short_name, o->has_arg ? " value" : "");
        else
            snprintf(left, sizeof(left), "--%s%s", o->name, o->has_arg ? " value" : "");
        fprintf(f, "   %-34s %s\n", left, o->help);
    }
    fputs("   --help, -h                         show help\n", f);
}
