/* Helpers shared by the files of rootfs/; not part of the module's public interface. */
#ifndef VSE_ROOTFS_INTERNAL_H
#define VSE_ROOTFS_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/error.h"
#include "rootfs/rootfs.h"

/* ---- options.c: mounts[].options as runc reads them ---- */
struct mount_opts {
    unsigned long flags;       /* MS_* to set (mount(2) flags, MS_BIND|MS_REC for rbind) */
    unsigned long cleared;     /* MS_* explicitly asked off ("rw", "suid", "atime", ...) */
    unsigned long propagation; /* MS_SHARED/MS_SLAVE/MS_PRIVATE/MS_UNBINDABLE [|MS_REC], or 0 */
    uint64_t rec_set, rec_clr; /* MOUNT_ATTR_* applied with AT_RECURSIVE ("rro", "rnosuid") */
    bool rec_atime;            /* a recursive atime mode was given: clear MOUNT_ATTR__ATIME */
    bool tmpcopyup;
    bool idmap, ridmap;
    char *data;                /* unknown options, comma-joined, for the filesystem; or NULL */
};

void mount_opts_parse(char *const *options, struct mount_opts *out);
void mount_opts_release(struct mount_opts *o);
/* MS_* propagation bits of "rslave", "shared", ...; 0 and false when the name is unknown. */
bool propagation_from_name(const char *name, unsigned long *out);
/* The set/clear MOUNT_ATTR_* of the non-recursive flags (for bind mounts via mount_setattr). */
void mount_opts_to_attr(const struct mount_opts *o, uint64_t *set, uint64_t *clr);

/* ---- resolve.c: paths inside the rootfs, never leaving it ---- */
/* openat2(rootfd, path, flags, RESOLVE_IN_ROOT|RESOLVE_NO_MAGICLINKS); returns fd or -errno. */
int root_open(int rootfd, const char *path, int flags);
/* O_PATH fd of directory `path` inside the root, creating missing components (mode 0755). */
int root_mkdir_p(int rootfd, const char *path, int *out, struct vse_err *err);
/* O_PATH fd of `path` inside the root; an empty file is made if missing (parents too). */
int root_mkfile(int rootfd, const char *path, int *out, struct vse_err *err);
/* "/proc/self/fd/N" for mount(2) onto a resolved fd. */
void fd_proc_path(char buf[static 32], int fd);
/* Moves a detached mount (tree fd) onto the object of to_fd. */
int move_mount_fd(int tree_fd, int to_fd);
/* mount_setattr on the mount of fd (AT_EMPTY_PATH), AT_RECURSIVE when recursive. */
int setattr_fd(int fd, bool recursive, uint64_t set, uint64_t clr, uint64_t propagation,
               int userns_fd);

/* ---- cgroup.c ---- */
int mount_cgroup(const struct rootfs_ctx *ctx, int rootfd, const struct spec_mount *m,
                 const struct mount_opts *o, struct vse_err *err);

/* ---- dev.c ---- */
int dev_setup_defaults(const struct rootfs_ctx *ctx, int rootfd, struct vse_err *err);
int dev_create_devices(const struct rootfs_ctx *ctx, int rootfd, struct vse_err *err);
int dev_bind_console(int rootfd, const char *slave_path, struct vse_err *err);

/* ---- idmap.c: a user namespace fd with the given mappings (for MOUNT_ATTR_IDMAP) ---- */
int idmap_userns_fd(const struct spec_mount *m, int *out, struct vse_err *err);

/* ---- copyup.c: copies the tree of src_dir into dst_dir (tmpcopyup) ---- */
int copy_tree(int src_dir, int dst_dir, struct vse_err *err);

/* ---- mounts.c ---- */
bool spec_has_ns(const struct spec *s, enum spec_ns_type type);

#endif
