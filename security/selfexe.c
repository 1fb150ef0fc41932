/* CVE-2019-5736 defence: the runtime runs from a sealed in-memory copy of its own binary.
 *
 * The attack: a container binary that is a script starting with `#!/proc/self/exe` makes the
 * kernel run the runtime's own binary as the container process (or a process in the container
 * sees a runtime child that joined its pid namespace). Anyone in the container can then open
 * /proc/<pid>/exe, wait for the process to exit (ETXTBSY only lasts while it runs), and reopen
 * /proc/self/fd/N for writing: the host's runtime binary is replaced, and root runs it next.
 *
 * The defence: before create, run or exec starts anything, vse copies itself into a memfd,
 * seals it (no write, grow, shrink, and no more seal changes) and re-executes from it. Every
 * process it starts is a clone of that copy, so /proc/<pid>/exe names the sealed memfd: a write
 * open fails with EPERM and the host file is never reachable. The copy is detected by its seals
 * (F_GET_SEALS on /proc/self/exe), so no environment marker is needed and none can be forged
 * to skip the copy. See docs/security.md for the measured cost. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "security/security.h"

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif
#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE 0x0010
#endif

#define SELFEXE_SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

/* True when fd is a memfd carrying at least our seals: we already run from the sealed copy. */
static bool is_sealed_copy(int fd)
{
    int seals = fcntl(fd, F_GET_SEALS);
    return seals >= 0 && (seals & SELFEXE_SEALS) == SELFEXE_SEALS;
}

int security_self_exe_is_sealed(void)
{
    _cleanup_close_ int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    return is_sealed_copy(fd) ? 1 : 0;
}

/* MFD_EXEC says explicitly that the memfd is meant to be executed (kernels with the
 * vm.memfd_noexec sysctl, 6.3+); older kernels reject the unknown flag with EINVAL. */
static int memfd_for_exec(struct vse_err *err)
{
    int fd = memfd_create("vse", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
    if (fd < 0 && errno == EINVAL)
        fd = memfd_create("vse", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0)
        return vse_fail_errno(err, "protect self exe: memfd_create");
    return fd;
}

static int copy_all(int from, int to, off_t size, struct vse_err *err)
{
    off_t done = 0;
    while (done < size) {
        ssize_t n = sendfile(to, from, NULL, (size_t) (size - done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return vse_fail_errno(err, "protect self exe: copy /proc/self/exe to memfd");
        if (n == 0)
            return vse_fail(err, EIO, "protect self exe: /proc/self/exe shrank while copying");
        done += n;
    }
    return 0;
}

/* How much of the binary the copy needs: up to the end of the last PT_LOAD segment. What
 * follows (debug info, the symbol and section tables) is never mapped by the kernel or the
 * dynamic loader; a debugoptimized vse is 1.1 MB of which 260 kB is loaded. Anything that is
 * not a well-formed native ELF64 is copied whole. */
static off_t loaded_size(int exe, off_t file_size)
{
    Elf64_Ehdr eh;
    if (pread(exe, &eh, sizeof(eh), 0) != (ssize_t) sizeof(eh) ||
        memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
        eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum == 0 || eh.e_phnum > 64)
        return file_size;
    Elf64_Phdr ph[64];
    size_t len = (size_t) eh.e_phnum * sizeof(Elf64_Phdr);
    if (pread(exe, ph, len, (off_t) eh.e_phoff) != (ssize_t) len)
        return file_size;
    uint64_t end = eh.e_phoff + len;
    for (size_t i = 0; i < eh.e_phnum; i++)
        if (ph[i].p_type == PT_LOAD && ph[i].p_offset + ph[i].p_filesz > end)
            end = ph[i].p_offset + ph[i].p_filesz;
    return end < (uint64_t) file_size ? (off_t) end : file_size;
}

/* A sealed executable copy of the running binary; returns the fd. */
static int make_sealed_copy(int exe, struct vse_err *err)
{
    struct stat st;
    if (fstat(exe, &st) < 0)
        return vse_fail_errno(err, "protect self exe: stat /proc/self/exe");
    _cleanup_close_ int mfd = memfd_for_exec(err);
    if (mfd < 0)
        return mfd;
    int ret = copy_all(exe, mfd, loaded_size(exe, st.st_size), err);
    if (ret < 0)
        return ret;
    if (fchmod(mfd, 0555) < 0)
        return vse_fail_errno(err, "protect self exe: fchmod memfd");
    if (fcntl(mfd, F_ADD_SEALS, SELFEXE_SEALS) < 0)
        return vse_fail_errno(err, "protect self exe: seal memfd");
    return steal_fd(&mfd);
}

int security_protect_self_exe(char **argv, char **envp, struct vse_err *err)
{
    _cleanup_close_ int exe = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    if (exe < 0)
        return vse_fail_errno(err, "protect self exe: open /proc/self/exe");
    if (is_sealed_copy(exe))
        return 0;
    _cleanup_close_ int mfd = make_sealed_copy(exe, err);
    if (mfd < 0)
        return mfd;
    /* ELF binaries exec fine from a close-on-exec fd (scripts would not, vse is not one). */
    syscall(SYS_execveat, mfd, "", argv, envp, AT_EMPTY_PATH);
    if (errno == EACCES || errno == EPERM)
        return vse_fail_errno(err, "protect self exe: execveat of the sealed copy (is "
                                   "vm.memfd_noexec set to 2?)");
    return vse_fail_errno(err, "protect self exe: execveat of the sealed copy");
}
