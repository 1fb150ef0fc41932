/* devices_bpf.c: cgroup v2 device access control. v2 has no devices.allow/deny files; a
 * BPF_PROG_TYPE_CGROUP_DEVICE program attached to the cgroup decides each open/mknod. vse
 * generates the program from the rule list and loads it with the bpf() syscall directly.
 *
 * The program checks the rules from last to first and returns the verdict of the first one
 * that matches, which is the spec's "last matching rule wins". An allow rule matches when it
 * grants every access asked for; a deny rule when it covers any of them. Nothing matching:
 * deny. */
#include "cgroups/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"

/* Registers: r2 device type, r3 access bits, r4 major, r5 minor; r1 scratch after loading. */
#define INSN(c, d, s, o, i) ((struct bpf_insn){.code = (c), .dst_reg = (d), .src_reg = (s), \
                                               .off = (o), .imm = (i)})
#define LDX_W(dst, src, off) INSN(BPF_LDX | BPF_MEM | BPF_W, dst, src, off, 0)
#define ALU_K(op, dst, imm) INSN(BPF_ALU | (op) | BPF_K, dst, 0, 0, imm)
#define MOV_X(dst, src) INSN(BPF_ALU | BPF_MOV | BPF_X, dst, src, 0, 0)
#define MOV_K(dst, imm) INSN(BPF_ALU | BPF_MOV | BPF_K, dst, 0, 0, imm)
#define JMP_K(op, dst, imm, off) INSN(BPF_JMP | (op) | BPF_K, dst, 0, off, imm)
#define EXIT() INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

#define NEXT_RULE 0x7fff /* placeholder jump offset, patched once the block length is known */

struct prog {
    struct bpf_insn *insns;
    size_t n;
};

static void emit(struct prog *p, struct bpf_insn insn)
{
    p->insns = vse_reallocarray(p->insns, p->n + 1, sizeof(*p->insns));
    p->insns[p->n++] = insn;
}

static void emit_prologue(struct prog *p)
{
    /* struct bpf_cgroup_dev_ctx { u32 access_type (access << 16 | type); u32 major, minor; } */
    emit(p, LDX_W(2, 1, 0));
    emit(p, ALU_K(BPF_AND, 2, 0xffff));
    emit(p, LDX_W(3, 1, 0));
    emit(p, ALU_K(BPF_RSH, 3, 16));
    emit(p, LDX_W(4, 1, 4));
    emit(p, LDX_W(5, 1, 8));
}

static unsigned bpf_access(unsigned access)
{
    unsigned a = 0;
    if (access & CG_DEV_MKNOD)
        a |= BPF_DEVCG_ACC_MKNOD;
    if (access & CG_DEV_READ)
        a |= BPF_DEVCG_ACC_READ;
    if (access & CG_DEV_WRITE)
        a |= BPF_DEVCG_ACC_WRITE;
    return a;
}

/* Emits one rule; returns true when it matches every request (nothing after it can run). */
static bool emit_rule(struct prog *p, const struct cg_dev_rule *r)
{
    size_t start = p->n;
    if (r->type != 'a')
        emit(p, JMP_K(BPF_JNE, 2, r->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR,
                      NEXT_RULE));
    unsigned acc = bpf_access(r->access);
    unsigned all = BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE;
    if (r->allow && acc != all) {
        emit(p, MOV_X(1, 3));
        emit(p, ALU_K(BPF_AND, 1, (int32_t) (~acc & all)));
        emit(p, JMP_K(BPF_JNE, 1, 0, NEXT_RULE));
    } else if (!r->allow && acc != all) {
        emit(p, MOV_X(1, 3));
        emit(p, ALU_K(BPF_AND, 1, (int32_t) acc));
        emit(p, JMP_K(BPF_JEQ, 1, 0, NEXT_RULE));
    }
    if (r->type != 'a' && r->major >= 0)
        emit(p, JMP_K(BPF_JNE, 4, (int32_t) r->major, NEXT_RULE));
    if (r->type != 'a' && r->minor >= 0)
        emit(p, JMP_K(BPF_JNE, 5, (int32_t) r->minor, NEXT_RULE));
    emit(p, MOV_K(0, r->allow ? 1 : 0));
    emit(p, EXIT());
    bool conditional = false;
    for (size_t i = start; i < p->n; i++)
        if (p->insns[i].off == NEXT_RULE) {
            p->insns[i].off = (int16_t) (p->n - i - 1);
            conditional = true;
        }
    return !conditional;
}

int cg_bpf_devices_build(const struct cg_dev_rule *rules, size_t n, void **insns,
                         size_t *n_insns)
{
    struct prog p = {0};
    emit_prologue(&p);
    /* The verifier rejects unreachable code: stop after a rule that matches everything. */
    bool total = false;
    for (size_t i = n; i-- > 0 && !total;)
        total = emit_rule(&p, &rules[i]);
    if (!total) {
        emit(&p, MOV_K(0, 0));
        emit(&p, EXIT());
    }
    *insns = p.insns;
    *n_insns = p.n;
    return 0;
}

static long sys_bpf(int cmd, union bpf_attr *attr)
{
    return syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

static int prog_load(const struct bpf_insn *insns, size_t n, char *log, size_t log_size)
{
    union bpf_attr attr;
    memset(&attr, 0, sizeof(attr));
    attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
    attr.insns = (uint64_t) (uintptr_t) insns;
    attr.insn_cnt = (uint32_t) n;
    attr.license = (uint64_t) (uintptr_t) "Apache";
    if (log) {
        attr.log_buf = (uint64_t) (uintptr_t) log;
        attr.log_size = (uint32_t) log_size;
        attr.log_level = 1;
    }
    return (int) sys_bpf(BPF_PROG_LOAD, &attr);
}

/* Loads without a verifier log (the fast path); on failure loads again with one so the
 * error can say why. */
static int load_prog(const struct bpf_insn *insns, size_t n, struct vse_err *err)
{
    int fd = prog_load(insns, n, NULL, 0);
    if (fd >= 0)
        return fd;
    int saved = errno;
    _cleanup_free_ char *log = vse_zalloc(65536);
    fd = prog_load(insns, n, log, 65536);
    if (fd >= 0)
        return fd;
    /* The verifier's verdict is the last non-empty line. */
    size_t len = strlen(log);
    while (len > 0 && log[len - 1] == '\n')
        log[--len] = '\0';
    char *last = strrchr(log, '\n');
    const char *why = last ? last + 1 : log;
    return vse_fail_code(err, saved, "bpf(BPF_PROG_LOAD, cgroup device program%s%s)",
                         why[0] ? ": " : "", why);
}

/* The ids of the programs attached to this cgroup itself before vse attaches a new one. */
static int query_attached(int cgfd, uint32_t *ids, uint32_t *count)
{
    union bpf_attr attr;
    memset(&attr, 0, sizeof(attr));
    attr.query.target_fd = (uint32_t) cgfd;
    attr.query.attach_type = BPF_CGROUP_DEVICE;
    attr.query.prog_ids = (uint64_t) (uintptr_t) ids;
    attr.query.prog_cnt = *count;
    if (sys_bpf(BPF_PROG_QUERY, &attr) < 0)
        return -errno;
    *count = attr.query.prog_cnt;
    return 0;
}

static void detach_id(int cgfd, uint32_t id)
{
    union bpf_attr attr;
    memset(&attr, 0, sizeof(attr));
    attr.prog_id = id;
    _cleanup_close_ int fd = (int) sys_bpf(BPF_PROG_GET_FD_BY_ID, &attr);
    if (fd < 0)
        return;
    memset(&attr, 0, sizeof(attr));
    attr.target_fd = (uint32_t) cgfd;
    attr.attach_bpf_fd = (uint32_t) fd;
    attr.attach_type = BPF_CGROUP_DEVICE;
    sys_bpf(BPF_PROG_DETACH, &attr);
}

int cg_bpf_devices_apply(const char *cgroup_path, const struct cg_dev_rule *rules, size_t n,
                         struct vse_err *err)
{
    _cleanup_free_ struct bpf_insn *insns = NULL;
    size_t n_insns = 0;
    void *raw = NULL;
    cg_bpf_devices_build(rules, n, &raw, &n_insns);
    insns = raw;
    _cleanup_close_ int cgfd = open(cgroup_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (cgfd < 0)
        return vse_fail_errno(err, "open %s", cgroup_path);
    uint32_t old[64];
    uint32_t n_old = VSE_ARRAY_SIZE(old);
    if (query_attached(cgfd, old, &n_old) < 0)
        n_old = 0;
    _cleanup_close_ int prog = load_prog(insns, n_insns, err);
    if (prog < 0)
        return prog;
    union bpf_attr attr;
    memset(&attr, 0, sizeof(attr));
    attr.target_fd = (uint32_t) cgfd;
    attr.attach_bpf_fd = (uint32_t) prog;
    attr.attach_type = BPF_CGROUP_DEVICE;
    attr.attach_flags = BPF_F_ALLOW_MULTI;
    if (sys_bpf(BPF_PROG_ATTACH, &attr) < 0)
        return vse_fail_errno(err, "bpf(BPF_PROG_ATTACH, %s, BPF_CGROUP_DEVICE)", cgroup_path);
    /* The new program is in place before the old ones go: no window without a filter. */
    for (uint32_t i = 0; i < n_old; i++)
        detach_id(cgfd, old[i]);
    return 0;
}
