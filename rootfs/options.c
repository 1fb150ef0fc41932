/* mounts[].options: the flag names runc knows, propagation, recursive (mount_setattr)
 * attributes and vse's extensions; anything else is handed to the filesystem as data. */
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "common/util.h"
#include "rootfs/internal.h"

struct flag_opt {
    const char *name;
    bool clear;
    unsigned long flag;
};

static const struct flag_opt flag_opts[] = {
    {"ro", false, MS_RDONLY},           {"rw", true, MS_RDONLY},
    {"nosuid", false, MS_NOSUID},       {"suid", true, MS_NOSUID},
    {"nodev", false, MS_NODEV},         {"dev", true, MS_NODEV},
    {"noexec", false, MS_NOEXEC},       {"exec", true, MS_NOEXEC},
    {"sync", false, MS_SYNCHRONOUS},    {"async", true, MS_SYNCHRONOUS},
    {"dirsync", false, MS_DIRSYNC},     {"remount", false, MS_REMOUNT},
    {"mand", false, MS_MANDLOCK},       {"nomand", true, MS_MANDLOCK},
    {"noatime", false, MS_NOATIME},     {"atime", true, MS_NOATIME},
    {"nodiratime", false, MS_NODIRATIME}, {"diratime", true, MS_NODIRATIME},
    {"relatime", false, MS_RELATIME},   {"norelatime", true, MS_RELATIME},
    {"strictatime", false, MS_STRICTATIME}, {"nostrictatime", true, MS_STRICTATIME},
    {"nosymfollow", false, MS_NOSYMFOLLOW}, {"symfollow", true, MS_NOSYMFOLLOW},
    {"silent", false, MS_SILENT},       {"loud", true, MS_SILENT},
    {"iversion", false, MS_I_VERSION},  {"noiversion", true, MS_I_VERSION},
    {"bind", false, MS_BIND},           {"rbind", false, MS_BIND | MS_REC},
    {"defaults", false, 0},
};

struct prop_opt {
    const char *name;
    unsigned long flags;
};

static const struct prop_opt prop_opts[] = {
    {"shared", MS_SHARED},         {"rshared", MS_SHARED | MS_REC},
    {"slave", MS_SLAVE},           {"rslave", MS_SLAVE | MS_REC},
    {"private", MS_PRIVATE},       {"rprivate", MS_PRIVATE | MS_REC},
    {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
};

/* Recursive attributes: mount_setattr(AT_RECURSIVE). `atime` marks the atime modes, which
 * replace the whole MOUNT_ATTR__ATIME field. */
struct rec_opt {
    const char *name;
    bool clear;
    bool atime;
    uint64_t attr;
};

static const struct rec_opt rec_opts[] = {
    {"rro", false, false, MOUNT_ATTR_RDONLY},
    {"rrw", true, false, MOUNT_ATTR_RDONLY},
    {"rnosuid", false, false, MOUNT_ATTR_NOSUID},
    {"rsuid", true, false, MOUNT_ATTR_NOSUID},
    {"rnodev", false, false, MOUNT_ATTR_NODEV},
    {"rdev", true, false, MOUNT_ATTR_NODEV},
    {"rnoexec", false, false, MOUNT_ATTR_NOEXEC},
    {"rexec", true, false, MOUNT_ATTR_NOEXEC},
    {"rnodiratime", false, false, MOUNT_ATTR_NODIRATIME},
    {"rdiratime", true, false, MOUNT_ATTR_NODIRATIME},
    {"rnosymfollow", false, false, MOUNT_ATTR_NOSYMFOLLOW},
    {"rsymfollow", true, false, MOUNT_ATTR_NOSYMFOLLOW},
    {"rrelatime", false, true, MOUNT_ATTR_RELATIME},
    {"rnorelatime", false, false, 0}, /* relatime is the default; nothing to clear */
    {"rnoatime", false, true, MOUNT_ATTR_NOATIME},
    {"ratime", false, true, MOUNT_ATTR_RELATIME},
    {"rstrictatime", false, true, MOUNT_ATTR_STRICTATIME},
    {"rnostrictatime", false, true, MOUNT_ATTR_RELATIME},
};

bool propagation_from_name(const char *name, unsigned long *out)
{
    for (size_t i = 0; i < VSE_ARRAY_SIZE(prop_opts); i++) {
        if (strcmp(prop_opts[i].name, name) == 0) {
            *out = prop_opts[i].flags;
            return true;
        }
    }
    *out = 0;
    return false;
}

static bool parse_flag(const char *opt, struct mount_opts *o)
{
    for (size_t i = 0; i < VSE_ARRAY_SIZE(flag_opts); i++) {
        const struct flag_opt *f = &flag_opts[i];
        if (strcmp(f->name, opt) != 0)
            continue;
        if (f->clear) {
            o->flags &= ~f->flag;
            o->cleared |= f->flag;
        } else {
            o->flags |= f->flag;
            o->cleared &= ~f->flag;
        }
        return true;
    }
    return false;
}

static bool parse_rec(const char *opt, struct mount_opts *o)
{
    for (size_t i = 0; i < VSE_ARRAY_SIZE(rec_opts); i++) {
        const struct rec_opt *r = &rec_opts[i];
        if (strcmp(r->name, opt) != 0)
            continue;
        if (r->atime) {
            o->rec_atime = true;
            o->rec_set = (o->rec_set & ~(uint64_t) MOUNT_ATTR__ATIME) | r->attr;
        } else if (r->clear) {
            o->rec_clr |= r->attr;
            o->rec_set &= ~r->attr;
        } else {
            o->rec_set |= r->attr;
            o->rec_clr &= ~r->attr;
        }
        return true;
    }
    return false;
}

static void append_data(struct mount_opts *o, const char *opt)
{
    char *old = o->data;
    o->data = old ? vse_asprintf("%s,%s", old, opt) : vse_strdup(opt);
    free(old);
}

void mount_opts_parse(char *const *options, struct mount_opts *out)
{
    memset(out, 0, sizeof(*out));
    for (size_t i = 0; options && options[i]; i++) {
        const char *opt = options[i];
        unsigned long prop;
        if (parse_flag(opt, out) || parse_rec(opt, out))
            continue;
        if (propagation_from_name(opt, &prop))
            out->propagation = prop;
        else if (strcmp(opt, "tmpcopyup") == 0)
            out->tmpcopyup = true;
        else if (strcmp(opt, "idmap") == 0)
            out->idmap = true;
        else if (strcmp(opt, "ridmap") == 0)
            out->ridmap = true;
        else
            append_data(out, opt);
    }
}

void mount_opts_release(struct mount_opts *o)
{
    free(o->data);
    o->data = NULL;
}

struct attr_map {
    unsigned long ms;
    uint64_t attr;
};

static const struct attr_map attr_map[] = {
    {MS_RDONLY, MOUNT_ATTR_RDONLY},     {MS_NOSUID, MOUNT_ATTR_NOSUID},
    {MS_NODEV, MOUNT_ATTR_NODEV},       {MS_NOEXEC, MOUNT_ATTR_NOEXEC},
    {MS_NODIRATIME, MOUNT_ATTR_NODIRATIME}, {MS_NOSYMFOLLOW, MOUNT_ATTR_NOSYMFOLLOW},
};

void mount_opts_to_attr(const struct mount_opts *o, uint64_t *set, uint64_t *clr)
{
    *set = 0;
    *clr = 0;
    for (size_t i = 0; i < VSE_ARRAY_SIZE(attr_map); i++) {
        if (o->flags & attr_map[i].ms)
            *set |= attr_map[i].attr;
        else if (o->cleared & attr_map[i].ms)
            *clr |= attr_map[i].attr;
    }
    /* The atime modes share one field: naming any of them replaces the whole field. */
    if (o->flags & MS_NOATIME) {
        *set |= MOUNT_ATTR_NOATIME;
        *clr |= MOUNT_ATTR__ATIME;
    } else if (o->flags & MS_STRICTATIME) {
        *set |= MOUNT_ATTR_STRICTATIME;
        *clr |= MOUNT_ATTR__ATIME;
    } else if ((o->flags & MS_RELATIME) || (o->cleared & (MS_NOATIME | MS_STRICTATIME))) {
        *clr |= MOUNT_ATTR__ATIME; /* MOUNT_ATTR_RELATIME is 0 */
    }
}
