"""The default seccomp profile (spec/default_seccomp.c) in a real container: a busybox userland
works normally under it, and the syscalls it exists to deny fail with EPERM (clone3: ENOSYS).

The profile is the linux.seccomp section `vse spec` writes (the vse-seccomp-tool helper of
security/meson.build prints the variants for other capability sets); a tiny static program
built here calls the raw syscalls, as busybox has no applets for kexec_load or keyctl.
"""
import json
import os
import shutil
import subprocess

import pytest

from conftest import REPO, VSE_BIN


def find_tool():
    """Beside the vse under test (<build>/cli/vse -> <build>/security/), else the default
    build; VSE_SECCOMP_TOOL overrides both."""
    if os.environ.get("VSE_SECCOMP_TOOL"):
        return os.environ["VSE_SECCOMP_TOOL"]
    for build in (os.path.dirname(os.path.dirname(VSE_BIN)), os.path.join(REPO, "build")):
        path = os.path.join(build, "security", "vse-seccomp-tool")
        if os.path.exists(path):
            return path
    return os.path.join(REPO, "build", "security", "vse-seccomp-tool")


TOOL = find_tool()

# Calls one syscall by name with harmless arguments and prints "<name> <errno>" (0: allowed).
SYSCALL_PROBE = r"""
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/sched.h>
#include <signal.h>
#include <sys/wait.h>

static long probe(const char *n)
{
    if (!strcmp(n, "unshare")) return syscall(SYS_unshare, CLONE_NEWNS);
    if (!strcmp(n, "setns")) return syscall(SYS_setns, 0, 0);
    if (!strcmp(n, "mount")) return syscall(SYS_mount, "none", "/tmp", "tmpfs", 0, 0);
    if (!strcmp(n, "umount2")) return syscall(SYS_umount2, "/proc", MNT_DETACH);
    if (!strcmp(n, "kexec_load")) return syscall(SYS_kexec_load, 0, 0, 0, 0);
    if (!strcmp(n, "keyctl")) return syscall(SYS_keyctl, 0 /* GET_KEYRING_ID */, -3, 0);
    if (!strcmp(n, "add_key")) return syscall(SYS_add_key, "user", "vse", "x", 1, -3);
    if (!strcmp(n, "bpf")) return syscall(SYS_bpf, 0, 0, 0);
    if (!strcmp(n, "perf_event_open")) return syscall(SYS_perf_event_open, 0, 0, -1, -1, 0);
    if (!strcmp(n, "userfaultfd")) return syscall(SYS_userfaultfd, 0);
    if (!strcmp(n, "open_by_handle_at")) return syscall(SYS_open_by_handle_at, -1, 0, 0);
    if (!strcmp(n, "ptrace_peek")) return syscall(SYS_ptrace, 1 /* PEEKTEXT */, 1, 0, 0);
    if (!strcmp(n, "pivot_root")) return syscall(SYS_pivot_root, "/", "/");
    if (!strcmp(n, "io_uring_setup")) return syscall(SYS_io_uring_setup, 1, 0);
    if (!strcmp(n, "vsock")) return syscall(SYS_socket, 40 /* AF_VSOCK */, SOCK_STREAM, 0);
    if (!strcmp(n, "unix_socket")) { long r = syscall(SYS_socket, AF_UNIX, SOCK_STREAM, 0);
        if (r >= 0) close((int) r); return r < 0 ? r : 0; }
    if (!strcmp(n, "personality_query")) return syscall(SYS_personality, 0xffffffff) < 0 ? -1 : 0;
    if (!strcmp(n, "personality_bad")) return syscall(SYS_personality, 0x0400000 /* ADDR_NO_RANDOMIZE */);
    if (!strcmp(n, "clone_newns")) { long r = syscall(SYS_clone, CLONE_NEWNS | SIGCHLD, 0, 0, 0, 0);
        if (r == 0) _exit(0); if (r > 0) { waitpid((pid_t) r, 0, 0); return 0; } return r; }
    if (!strcmp(n, "clone_plain")) { long r = syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
        if (r == 0) _exit(0); if (r > 0) { waitpid((pid_t) r, 0, 0); return 0; } return r; }
    if (!strcmp(n, "clone3")) { struct clone_args a = {.exit_signal = SIGCHLD};
        long r = syscall(SYS_clone3, &a, sizeof(a));
        if (r == 0) _exit(0); if (r > 0) { waitpid((pid_t) r, 0, 0); return 0; } return r; }
    errno = EINVAL;
    return -2;
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        errno = 0;
        long r = probe(argv[i]);
        printf("%s %d\n", argv[i], r < 0 ? errno : 0);
    }
    return 0;
}
"""

DENIED_EPERM = ["unshare", "setns", "mount", "umount2", "kexec_load", "keyctl", "add_key",
                "bpf", "perf_event_open", "userfaultfd", "open_by_handle_at", "pivot_root",
                "io_uring_setup", "vsock", "personality_bad", "clone_newns"]
ALLOWED = ["unix_socket", "personality_query", "clone_plain"]


def vse_spec_config(directory, rootless=False):
    """The config.json `vse spec [--rootless]` writes into directory, parsed."""
    r = subprocess.run([VSE_BIN, "spec", "--bundle", str(directory)] +
                       (["--rootless"] if rootless else []), capture_output=True, text=True,
                       timeout=30)
    assert r.returncode == 0, r.stderr
    with open(os.path.join(str(directory), "config.json")) as f:
        return json.load(f)


def build_probe(directory):
    """Builds the static syscall probe in directory; skips (naming what is missing) if the host
    cannot."""
    cc = shutil.which("gcc") or shutil.which("cc")
    if cc is None:
        pytest.skip("no C compiler on the host to build the static syscall probe")
    src = os.path.join(str(directory), "probe.c")
    with open(src, "w") as f:
        f.write(SYSCALL_PROBE)
    out = os.path.join(str(directory), "vse-probe")
    r = subprocess.run([cc, "-static", "-O1", "-o", out, src], capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"cannot link a static probe (libc static archive missing?): {r.stderr}")
    return out


@pytest.fixture(scope="module")
def profile(tmp_path_factory):
    """linux.seccomp of the config `vse spec` writes."""
    cfg = vse_spec_config(tmp_path_factory.mktemp("vse-spec"))
    assert "seccomp" in cfg["linux"], "vse spec wrote no seccomp profile"
    return cfg["linux"]["seccomp"]


@pytest.fixture(scope="module")
def probe_bin(tmp_path_factory):
    return build_probe(tmp_path_factory.mktemp("vse-probe"))


def test_vse_spec_profile_is_the_default_profile(profile, tmp_path):
    """`vse spec` and `vse spec --rootless` carry the profile spec/default_seccomp.c writes for
    the default capabilities (the same as the helper prints)."""
    if not os.path.exists(TOOL):
        pytest.fail(f"{TOOL} not built (security/meson.build builds vse-seccomp-tool)")
    r = subprocess.run([TOOL, "print"], capture_output=True, text=True, check=True)
    assert profile == json.loads(r.stdout)
    rootless = vse_spec_config(tmp_path, rootless=True)
    assert rootless["linux"]["seccomp"] == profile


def test_profile_shape(profile):
    assert profile["defaultAction"] == "SCMP_ACT_ERRNO"
    assert profile["defaultErrnoRet"] == 1
    assert profile["architectures"], profile
    names = {n for s in profile["syscalls"] if s["action"] == "SCMP_ACT_ALLOW"
             and not s.get("args") for n in s["names"]}
    for must in ("read", "write", "execve", "openat", "mmap", "futex", "exit_group"):
        assert must in names
    for never in ("mount", "unshare", "setns", "kexec_load", "keyctl", "add_key", "bpf",
                  "init_module", "open_by_handle_at", "reboot", "pivot_root", "userfaultfd"):
        assert never not in names, never
    clone = [s for s in profile["syscalls"] if "clone" in s["names"]]
    assert clone and clone[0]["args"][0]["op"] == "SCMP_CMP_MASKED_EQ"


def test_profile_with_cap_sys_admin_unlocks_its_group(profile):
    if not os.path.exists(TOOL):
        pytest.fail(f"{TOOL} not built (security/meson.build builds vse-seccomp-tool)")
    r = subprocess.run([TOOL, "print", "%x" % (1 << 21)], capture_output=True, text=True,
                       check=True)
    names = {n for s in json.loads(r.stdout)["syscalls"] if s["action"] == "SCMP_ACT_ALLOW"
             for n in s["names"]}
    assert {"mount", "unshare", "setns"} <= names
    ok = subprocess.run([TOOL, "check", "ffffffffff"], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr


def test_busybox_works_and_dangerous_syscalls_fail(vse, bundle, profile, probe_bin):
    shutil.copy2(probe_bin, os.path.join(bundle.rootfs, "bin", "vse-probe"))
    bundle.config["linux"]["seccomp"] = profile
    script = ("echo hello; ls / >/dev/null && echo ls-ok; cat /etc/passwd >/dev/null && "
              "echo cat-ok; ps >/dev/null && echo ps-ok; (sleep 0; echo subshell-ok); "
              "date >/dev/null && echo date-ok; "
              "unshare -m true 2>/dev/null; echo unshare-rc $?; "
              "vse-probe " + " ".join(DENIED_EPERM + ALLOWED + ["clone3"]))
    bundle.set_args("sh", "-c", script)
    cid = vse.new_id()
    r = vse("run", "-b", bundle.path, cid, timeout=60)
    assert r.returncode == 0, r.stderr
    out = r.stdout
    for ok in ("hello", "ls-ok", "cat-ok", "ps-ok", "subshell-ok", "date-ok"):
        assert ok in out, out
    assert "unshare-rc 0" not in out, out
    results = dict(l.split() for l in out.splitlines() if l.split()[0] in
                   DENIED_EPERM + ALLOWED + ["clone3"] and len(l.split()) == 2)
    for name in DENIED_EPERM:
        assert results.get(name) == "1", f"{name}: errno {results.get(name)} (want EPERM)\n{out}"
    for name in ALLOWED:
        assert results.get(name) == "0", f"{name}: errno {results.get(name)} (want allowed)\n{out}"
    assert results.get("clone3") == "38", out  # ENOSYS: libc falls back to clone


# Denied only by the profile: without it these do not fail with EPERM in the test container
# (the capability checks alone would let them through or fail differently).
PROFILE_ONLY = ["keyctl", "add_key", "setns", "io_uring_setup", "personality_bad", "clone3"]


def test_control_without_profile_same_calls_are_not_eperm(vse, bundle, probe_bin):
    """Shows the test above measures the profile, not the missing capabilities."""
    shutil.copy2(probe_bin, os.path.join(bundle.rootfs, "bin", "vse-probe"))
    bundle.config["linux"].pop("seccomp", None)
    bundle.set_args("vse-probe", *PROFILE_ONLY)
    cid = vse.new_id()
    r = vse("run", "-b", bundle.path, cid, timeout=60)
    assert r.returncode == 0, r.stderr
    results = dict(l.split() for l in r.stdout.splitlines())
    for name in PROFILE_ONLY:
        assert results[name] != "1", f"{name} fails with EPERM even without seccomp: {r.stdout}"
