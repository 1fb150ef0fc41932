/* The container's filesystem: root, mounts, devices, /dev defaults, console, masked and
 * read-only paths, pivot_root. Runs inside the container's new mount namespace. Every mount
 * destination is resolved inside the rootfs without following symlinks out of it. */
#ifndef VSE_ROOTFS_H
#define VSE_ROOTFS_H

#include <stdbool.h>

#include "common/error.h"
#include "common/log.h"
#include "spec/spec.h"

struct rootfs_ctx {
    const struct spec *spec;
    const char *bundle;      /* absolute bundle directory */
    const char *rootfs;      /* absolute path of the root directory on the host */
    bool no_pivot;           /* --no-pivot: chroot instead of pivot_root */
    bool in_user_ns;         /* devices must be bind-mounted, not made with mknod */
    const char *console_path;/* pty slave to bind over /dev/console, NULL without terminal */
    const struct vse_logger *log;
    /* Called once, right before the first cgroup/cgroup2 mount (NULL: none). The runtime
     * finishes putting the init into its cgroup and unsharing the cgroup namespace here, so
     * the mounts before it overlap with the (slow) cgroup migration. */
    int (*before_cgroup_mount)(void *data, struct vse_err *err);
    void *hook_data;
};

/* Step 1, before the createContainer hooks: propagation, the root bind mount, every entry of
 * mounts[] in order, /dev defaults and linux.devices. Errors name the mount: "mounts[4] /proc:
 * mount: Permission denied". */
int rootfs_prepare(const struct rootfs_ctx *ctx, struct vse_err *err);

/* Binds the pty slave over <rootfs>/dev/console (called once the pty exists). */
int rootfs_bind_console(const struct rootfs_ctx *ctx, const char *slave_path,
                        struct vse_err *err);

/* The ptmx a container's pty comes from (process_open_pty()): <root>/dev/pts/ptmx, rootfd
 * being the container's root, resolved inside it without following any symlink, and checked
 * to be the ptmx node of a devpts mount (never the host's /dev/ptmx). Returns the fd. */
int rootfs_open_ptmx(int rootfd, struct vse_err *err);

/* Step 2: pivot_root (or chroot with no_pivot) into the rootfs; cwd becomes "/". */
int rootfs_pivot(const struct rootfs_ctx *ctx, struct vse_err *err);

/* Step 3, after pivot: maskedPaths, readonlyPaths, root.readonly, rootfsPropagation. */
int rootfs_finalize(const struct rootfs_ctx *ctx, struct vse_err *err);

#endif
