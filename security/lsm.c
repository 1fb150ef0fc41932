/* AppArmor profile and SELinux label of the container process. Like runc, a request for an LSM
 * the host does not run is ignored with a warning (docs/security.md). */
#include "security/security.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"

static bool path_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static bool file_starts_with(const char *path, const char *prefix)
{
    char buf[16] = "";
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    return n > 0 && strncmp(buf, prefix, strlen(prefix)) == 0;
}

/* /sys/kernel/security and /sys/fs/selinux are host views (before pivot_root); inside the
 * container /sys/module and the per-LSM /proc/self/attr directory still tell. */
static bool apparmor_enabled(void)
{
    if (file_starts_with("/sys/module/apparmor/parameters/enabled", "Y"))
        return true;
    if (path_exists("/sys/kernel/security/apparmor"))
        return true;
    char buf[256];
    _cleanup_close_ int fd = open("/proc/self/attr/apparmor/current", O_RDONLY | O_CLOEXEC);
    return fd >= 0 && read(fd, buf, sizeof(buf)) > 0;
}

static bool selinux_enabled(void)
{
    if (path_exists("/sys/fs/selinux/enforce"))
        return true;
    char buf[256];
    _cleanup_close_ int fd = open("/proc/self/attr/selinux/current", O_RDONLY | O_CLOEXEC);
    return fd >= 0 && read(fd, buf, sizeof(buf)) > 0;
}

static int write_attr(const char *lsm_path, const char *legacy_path, const char *value,
                      const char *field, struct vse_err *err)
{
    const char *path = path_exists(lsm_path) ? lsm_path : legacy_path;
    _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return vse_fail_errno(err, "%s: open %s", field, path);
    size_t len = strlen(value);
    if (write(fd, value, len) != (ssize_t) len)
        return vse_fail_errno(err, "%s: writing \"%s\" to %s", field, value, path);
    return 0;
}

static int apply_apparmor(const char *profile, const struct vse_logger *log,
                          struct vse_err *err)
{
    if (!apparmor_enabled()) {
        vse_log(log, VSE_LOG_WARN,
                "process.apparmorProfile \"%s\" ignored: AppArmor is not enabled on this host",
                profile);
        return 0;
    }
    _cleanup_free_ char *cmd = vse_asprintf("exec %s", profile);
    return write_attr("/proc/thread-self/attr/apparmor/exec", "/proc/thread-self/attr/exec", cmd,
                      "process.apparmorProfile", err);
}

static int apply_selinux(const char *label, const struct vse_logger *log, struct vse_err *err)
{
    if (!selinux_enabled()) {
        vse_log(log, VSE_LOG_WARN,
                "process.selinuxLabel \"%s\" ignored: SELinux is not enabled on this host",
                label);
        return 0;
    }
    return write_attr("/proc/thread-self/attr/selinux/exec", "/proc/thread-self/attr/exec", label,
                      "process.selinuxLabel", err);
}

int security_apply_lsm(const struct spec_process *p, const struct vse_logger *log,
                       struct vse_err *err)
{
    if (p == NULL)
        return 0;
    if (p->apparmor_profile && *p->apparmor_profile) {
        int ret = apply_apparmor(p->apparmor_profile, log, err);
        if (ret < 0)
            return ret;
    }
    if (p->selinux_label && *p->selinux_label)
        return apply_selinux(p->selinux_label, log, err);
    return 0;
}
