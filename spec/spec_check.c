/* spec-check: the spec/ module from the command line, for tests/integration/test_config.py.
 * A test tool, not installed.
 *
 *   spec-check FILE [--process|--resources]   parse; print "ok" or the error (exit 1)
 *   spec-check --print-default [--rootless]   print spec_default_json()
 *   spec-check --print-features               print spec_features_json()
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "spec/spec.h"

static int print_doc(char *text)
{
    if (text == NULL)
        return 1;
    puts(text);
    free(text);
    return 0;
}

static int check_file(const char *path, const char *mode)
{
    struct vse_err err = {0};
    _cleanup_free_ char *text = NULL;
    int ret = vse_read_file_at(AT_FDCWD, path, &text, NULL, &err);
    if (ret == 0 && strcmp(mode, "--process") == 0) {
        struct spec_process *p = NULL;
        ret = spec_parse_process(text, &p, &err);
        spec_process_free(p);
    } else if (ret == 0 && strcmp(mode, "--resources") == 0) {
        struct spec_resources *r = NULL;
        ret = spec_parse_resources(text, &r, &err);
        spec_resources_free(r);
    } else if (ret == 0) {
        _cleanup_spec_ struct spec *s = NULL;
        ret = spec_parse(text, &s, &err);
    }
    if (ret < 0) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    puts("ok");
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "--print-default") == 0)
        return print_doc(spec_default_json(argc == 3 && strcmp(argv[2], "--rootless") == 0));
    if (argc == 2 && strcmp(argv[1], "--print-features") == 0)
        return print_doc(spec_features_json());
    if (argc == 2 || (argc == 3 && (strcmp(argv[2], "--process") == 0 ||
                                    strcmp(argv[2], "--resources") == 0)))
        return check_file(argv[1], argc == 3 ? argv[2] : "");
    fprintf(stderr, "usage: %s FILE [--process|--resources]\n"
                    "       %s --print-default [--rootless] | --print-features\n",
            argv[0], argv[0]);
    return 2;
}
