/* Capabilities (libcap) and no_new_privs of the container process. See security/security.h and
 * docs/security.md for what happens with capabilities the host does not grant vse itself. */
#include "security/security.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include "common/cleanup.h"

static void cap_freep(cap_t *c)
{
    if (*c)
        cap_free(*c);
}
#define _cleanup_cap_ __attribute__((cleanup(cap_freep)))

static int cap_count(void)
{
    int n = (int) cap_max_bits();
    return n > 64 ? 64 : n;
}

static const char *cap_label(int cap, char *buf, size_t len)
{
    char *name = cap_to_name((cap_value_t) cap);
    if (name == NULL) {
        snprintf(buf, len, "capability %d", cap);
        return buf;
    }
    /* libcap names are lower case without the prefix ("sys_resource"). */
    size_t off = 0;
    if (strncmp(name, "cap_", 4) != 0)
        off = (size_t) snprintf(buf, len, "CAP_");
    for (size_t i = 0; name[i] && off + 1 < len; i++)
        buf[off++] = (char) (name[i] >= 'a' && name[i] <= 'z' ? name[i] - 'a' + 'A' : name[i]);
    buf[off < len ? off : len - 1] = '\0';
    cap_free(name);
    return buf;
}

/* Masks off capabilities the running kernel does not know (as runc does, they are ignored). */
static uint64_t known_caps(uint64_t mask)
{
    int n = cap_count();
    return n >= 64 ? mask : mask & ((1ULL << n) - 1);
}

/* Drops with one prctl per capability and no probing: PR_CAPBSET_DROP of a capability that
 * is already gone succeeds, so reading the set first (one PR_CAPBSET_READ per capability)
 * would only double the syscalls. cap_max_bits() is the kernel's count, found once by libcap
 * when it is loaded. EPERM (no CAP_SETPCAP) is an error only when the capability is still
 * there, so a process whose bounding set is already small enough needs no CAP_SETPCAP. */
int security_apply_bounding(const struct spec_capabilities *c, struct vse_err *err)
{
    uint64_t keep = c ? c->bounding : 0;
    int n = cap_count();
    for (int cap = 0; cap < n; cap++) {
        if (keep & (1ULL << cap))
            continue;
        if (prctl(PR_CAPBSET_DROP, (unsigned long) cap, 0, 0, 0) == 0)
            continue;
        int saved = errno;
        if (saved == EINVAL || (saved == EPERM && cap_get_bound((cap_value_t) cap) <= 0))
            continue; /* unknown to the kernel, or already gone */
        char name[64];
        errno = saved;
        return vse_fail_errno(err, "process.capabilities.bounding: dropping %s",
                              cap_label(cap, name, sizeof(name)));
    }
    return 0;
}

/* The current permitted set (one capget). */
static int current_permitted(uint64_t *permitted, struct vse_err *err)
{
    _cleanup_cap_ cap_t cur = cap_get_proc();
    if (cur == NULL)
        return vse_fail_errno(err, "process.capabilities: cap_get_proc");
    *permitted = 0;
    int n = cap_count();
    for (int cap = 0; cap < n; cap++) {
        cap_flag_value_t v = CAP_CLEAR;
        if (cap_get_flag(cur, (cap_value_t) cap, CAP_PERMITTED, &v) == 0 && v == CAP_SET)
            *permitted |= 1ULL << cap;
    }
    return 0;
}

/* The capabilities of `mask` that are in the bounding set: one PR_CAPBSET_READ per bit of
 * mask only (the config's few inheritable ones), never a sweep over every capability. */
static uint64_t bounding_of(uint64_t mask)
{
    uint64_t present = 0;
    for (int cap = 0; cap < 64; cap++)
        if ((mask & (1ULL << cap)) && cap_get_bound((cap_value_t) cap) > 0)
            present |= 1ULL << cap;
    return present;
}

/* Names the first capability of `missing` and why the container cannot have it. */
static int explain_missing(const char *set, uint64_t missing, struct vse_err *err)
{
    int cap = __builtin_ctzll(missing);
    char name[64];
    cap_label(cap, name, sizeof(name));
    if (!bounding_of(1ULL << cap))
        return vse_fail(err, EPERM,
                        "process.capabilities.%s: %s is not in vse's own capability bounding "
                        "set (the host withholds it), so no container process can hold it; "
                        "remove it from the config",
                        set, name);
    return vse_fail(err, EPERM,
                    "process.capabilities.%s: %s is not permitted to vse at this point, so the "
                    "container process cannot be given it",
                    set, name);
}

static int check_grantable(const struct spec_capabilities *c, uint64_t permitted,
                           struct vse_err *err)
{
    uint64_t eff = known_caps(c->effective), perm = known_caps(c->permitted);
    uint64_t inh = known_caps(c->inheritable), amb = known_caps(c->ambient);
    if (perm & ~permitted)
        return explain_missing("permitted", perm & ~permitted, err);
    if (eff & ~perm) {
        char name[64];
        return vse_fail(err, EPERM,
                        "process.capabilities.effective: %s is not in "
                        "process.capabilities.permitted (effective must be a subset)",
                        cap_label(__builtin_ctzll(eff & ~perm), name, sizeof(name)));
    }
    uint64_t inh_unbounded = inh & ~bounding_of(inh);
    if (inh_unbounded)
        return explain_missing("inheritable", inh_unbounded, err);
    if (inh & ~permitted)
        return explain_missing("inheritable", inh & ~permitted, err);
    if (amb & ~(perm & inh)) {
        char name[64];
        return vse_fail(err, EPERM,
                        "process.capabilities.ambient: %s must also be in permitted and "
                        "inheritable",
                        cap_label(__builtin_ctzll(amb & ~(perm & inh)), name, sizeof(name)));
    }
    return 0;
}

static int set_flag_mask(cap_t caps, cap_flag_t flag, uint64_t mask)
{
    for (int cap = 0; cap < 64; cap++) {
        if (!(mask & (1ULL << cap)))
            continue;
        cap_value_t v = (cap_value_t) cap;
        if (cap_set_flag(caps, flag, 1, &v, CAP_SET) < 0)
            return -errno;
    }
    return 0;
}

/* One PR_CAP_AMBIENT_CLEAR_ALL, then one raise per wanted capability. (libcap's
 * cap_reset_ambient() first probes every capability with PR_CAP_AMBIENT_IS_SET.) EINVAL from
 * the clear means a kernel without ambient capabilities: nothing to clear then, and a wanted
 * one fails below with the capability named. */
static int apply_ambient(uint64_t amb, struct vse_err *err)
{
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
        return vse_fail_errno(err, "process.capabilities.ambient: clearing");
    for (int cap = 0; cap < 64; cap++) {
        if (!(amb & (1ULL << cap)))
            continue;
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, (unsigned long) cap, 0, 0) < 0) {
            char name[64];
            return vse_fail_errno(err, "process.capabilities.ambient: raising %s",
                                  cap_label(cap, name, sizeof(name)));
        }
    }
    return 0;
}

int security_apply_capabilities(const struct spec_capabilities *c, struct vse_err *err)
{
    static const struct spec_capabilities none;
    if (c == NULL)
        c = &none;
    uint64_t permitted = 0;
    int ret = current_permitted(&permitted, err);
    if (ret < 0)
        return ret;
    ret = check_grantable(c, permitted, err);
    if (ret < 0)
        return ret;
    _cleanup_cap_ cap_t caps = cap_init();
    if (caps == NULL)
        return vse_fail_errno(err, "process.capabilities: cap_init");
    if (set_flag_mask(caps, CAP_EFFECTIVE, known_caps(c->effective)) < 0 ||
        set_flag_mask(caps, CAP_PERMITTED, known_caps(c->permitted)) < 0 ||
        set_flag_mask(caps, CAP_INHERITABLE, known_caps(c->inheritable)) < 0)
        return vse_fail_errno(err, "process.capabilities: cap_set_flag");
    if (cap_set_proc(caps) < 0)
        return vse_fail_errno(err, "process.capabilities: cap_set_proc (capset)");
    ret = apply_ambient(known_caps(c->ambient), err);
    if (ret < 0)
        return ret;
    /* KEEPCAPS was only needed across the user switch. */
    prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
    return 0;
}

int security_set_no_new_privs(struct vse_err *err)
{
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return vse_fail_errno(err, "process.noNewPrivileges: prctl(PR_SET_NO_NEW_PRIVS)");
    return 0;
}
