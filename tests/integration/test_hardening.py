"""Attacks on vse by a hostile image or container, each shown to fail (issue #4, hardening).

Every test performs the attack for real against vse and checks the host afterwards. Each one
fails when the protection it covers is removed (docs/security.md, "Hardening tests", lists how
each was checked). Host objects are created only under the test's tmp dir, with a vse prefix.

Capabilities (/proc/1/status Cap* lines equal to the config) are covered by
test_security.py::test_cap_lines_match_config_exactly and are not repeated here.
"""
import hashlib
import json
import os
import shutil
import signal
import stat
import subprocess
import time

import pytest

from conftest import VSE_BIN, Vse, leftover_cgroups

BUSYBOX_SH = ["sh", "-c"]


def run(vse, bundle, *args, check=True, timeout=60, **kw):
    bundle.set_args(*args)
    cid = vse.new_id()
    r = vse("run", "-b", bundle.path, cid, timeout=timeout, **kw)
    if check:
        assert r.returncode == 0, f"run failed ({r.returncode}): {r.stderr}\n{r.stdout}"
    return r


def detach(v, bundle, log_dir):
    """`vse run -d`; the container keeps stdout/stderr open, so they go to a file."""
    cid = v.new_id()
    log = os.path.join(str(log_dir), f"vse-{cid}.log")
    with open(log, "w") as f:
        r = subprocess.run([v.bin, "--root", v.root, "run", "-d", "-b", bundle.path, cid],
                           stdin=subprocess.DEVNULL, stdout=f, stderr=f, timeout=60)
    return r.returncode, open(log).read(), cid


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def host_mounts_under(path):
    with open("/proc/self/mountinfo") as f:
        return [l for l in f if str(path) in l.split()[4]]


def wait_for(pred, timeout=20.0, step=0.05):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(step)
    return pred()


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


# --------------------------------------------------------------------------- CVE-2019-5736

# The container's init is the attacker. It waits for a process whose /proc/<pid>/exe is not
# busybox (the `vse exec` child, which then execs /evil = `#!/proc/self/exe`, i.e. the runtime
# binary itself, blocked on opening a fifo as its --log file), opens that exe, lets the victim
# go, waits for it to exit and then tries to reopen the exe for writing through
# /proc/self/fd/3. Results go to /tmp/result in the (writable) rootfs.
ATTACKER = r"""
mkfifo /tmp/vse-fifo
echo armed > /tmp/armed
victim=
while [ -z "$victim" ]; do
  for p in /proc/[0-9]*; do
    n=${p#/proc/}
    [ "$n" = 1 ] && continue
    [ "$n" = "$$" ] && continue
    l=$(readlink $p/exe 2>/dev/null) || continue
    case "$l" in *busybox*|"") continue ;; esac
    exec 3< $p/exe 2>/dev/null || continue
    victim=$n
    break
  done
done
echo "victim $victim exe $(readlink /proc/self/fd/3)" > /tmp/result
cat /tmp/vse-fifo > /dev/null &
while [ -d /proc/$victim ]; do :; done
i=0
while [ $i -lt 100 ]; do
  # a failed redirection of `exec` ends a shell: try in a subshell (fd 3 is inherited)
  if (exec 4> /proc/self/fd/3 && printf '#!/bin/sh\necho PWNED-BY-CONTAINER\n' >&4) \
      2>/tmp/write-error; then
    echo "write-ok" >> /tmp/result
    break
  fi
  i=$((i+1))
  sleep 0.1
done
echo "write-error: $(cat /tmp/write-error)" >> /tmp/result
echo done >> /tmp/result
sleep 1000
"""


def copy_runtime_libs(binary, rootfs):
    """vse is dynamically linked: a glibc image (most are) has its loader and libraries, the
    busybox test image does not. Copy them in at their host paths."""
    out = subprocess.run(["ldd", binary], capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        parts = line.split()
        path = parts[2] if "=>" in parts and len(parts) > 2 else parts[0]
        if not path.startswith("/"):
            continue
        dst = os.path.join(rootfs, path.lstrip("/"))
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copy2(os.path.realpath(path), dst)


@pytest.fixture
def vse_copy(tmp_path):
    """A private copy of the vse binary; the attack may overwrite it, never the real one."""
    d = tmp_path / "vse-bin-copy"
    d.mkdir()
    dst = d / "vse"
    shutil.copy2(VSE_BIN, dst)
    v = Vse(tmp_path / "state-copy")
    v.bin = str(dst)
    yield v
    # the copy may have been overwritten by the attack: clean up with the real binary
    v.bin = VSE_BIN
    v.cleanup()
    left = [cid for cid in v.ids if leftover_cgroups(cid)]
    assert not left, f"cgroups left for {left}"


def test_cve_2019_5736_proc_self_exe_cannot_overwrite_runtime(vse_copy, bundle, tmp_path):
    """`#!/proc/self/exe` as the exec'd binary runs the runtime binary in the container; the
    container opens /proc/<pid>/exe and writes through it after the victim exits. With
    security_protect_self_exe in create/run/exec, the exe is a sealed memfd and the write
    fails; the runtime binary on the host is unchanged. (Needs the CLI to call it: see
    docs/security.md, "CVE-2019-5736".)"""
    v = vse_copy
    before = sha256(v.bin)
    evil = os.path.join(bundle.rootfs, "evil")
    with open(evil, "w") as f:
        f.write("#!/proc/self/exe --log=/tmp/vse-fifo\n")
    os.chmod(evil, 0o755)
    copy_runtime_libs(v.bin, bundle.rootfs)
    bundle.config["root"]["readonly"] = False
    bundle.set_args("sh", "-c", ATTACKER)
    rc, out, cid = detach(v, bundle, tmp_path)
    assert rc == 0, out
    armed = os.path.join(bundle.rootfs, "tmp", "armed")
    assert wait_for(lambda: os.path.exists(armed)), "attacker did not start"
    # The victim: the exec child, then /evil -> the runtime binary, blocked on the fifo.
    e = v("exec", cid, "/evil", timeout=60)
    result = os.path.join(bundle.rootfs, "tmp", "result")
    assert wait_for(lambda: os.path.exists(result) and "done" in open(result).read(),
                    timeout=30), (f"attack did not finish; exec said: {e.stderr}; result: "
                                 f"{open(result).read() if os.path.exists(result) else None}")
    text = open(result).read()
    after = sha256(v.bin)
    assert after == before, f"the runtime binary was overwritten from the container:\n{text}"
    assert "write-ok" not in text, text
    # the exe the container could reach was the sealed in-memory copy
    assert "memfd:" in text, text


# --------------------------------------------------------------------------- CVE-2024-21626

def fds_of(listing):
    return sorted(int(x) for x in listing.split())


# Listing /proc/$$/fd from a command inside the container races with the shell's own pipes and
# saved fds (`ls /proc/$$/fd | tr` can see the shell's pipe before it closes its end). So the
# container's shell reports "ready" and blocks in the `read` builtin, where it has nothing else
# open, and the host lists the process's fds then.
IDLE = "echo ready; read x"


def fds_when_idle(cmd, pid_of):
    """Starts cmd (a list) with stdin/stdout pipes, waits for "ready", returns (lines before
    it, {fd: link}) of the process pid_of() names, then lets it exit."""
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    try:
        lines = []
        for line in p.stdout:
            if line.strip() == "ready":
                break
            lines.append(line.rstrip("\n"))
        else:
            raise AssertionError(f"no ready line: {lines} {p.stderr.read()}")
        pid = pid_of()
        fds = {}
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                fds[int(fd)] = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                fds[int(fd)] = "?"
        p.stdin.write("go\n")
        p.stdin.flush()
        p.wait(timeout=30)
        return lines, fds
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


def test_no_runtime_fd_leaks_into_container(vse, bundle, tmp_path):
    """CVE-2024-21626: the caller of vse hands it fds without CLOEXEC (runc leaked a host
    /sys/fs/cgroup directory fd this way); none may reach the container, neither the init
    while it waits in `created` nor the container process."""
    hostdir = tmp_path / "vse-leaked-dir"
    hostdir.mkdir()
    leak = tmp_path / "vse-leaked-file"
    leak.write_text("host\n")
    inherit = f"exec 7<{hostdir} 8<{leak}; "
    # 1. vse create: the init holds none of them while it waits to be started.
    bundle.set_args("true")
    cid = vse.new_id()
    log = tmp_path / "vse-create.log"
    with open(log, "w") as f:  # the created init keeps stdio open: no pipes to wait on
        r = subprocess.run(["bash", "-c", inherit + f"exec {vse.bin} --root {vse.root} create "
                            f"-b {bundle.path} {cid}"], stdout=f, stderr=f, timeout=60,
                           stdin=subprocess.DEVNULL)
    assert r.returncode == 0, log.read_text()
    pid = vse.state(cid)["pid"]
    links = []
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            links.append(os.readlink(f"/proc/{pid}/fd/{fd}"))
        except OSError:
            pass
    vse("delete", "--force", cid, check=True)
    assert str(hostdir) not in links and str(leak) not in links, links
    # 2. vse run: the container process has stdio only.
    bundle.set_args("sh", "-c", IDLE)
    cid = vse.new_id()
    _, fds = fds_when_idle(["bash", "-c", inherit + f"exec {vse.bin} --root {vse.root} run "
                            f"-b {bundle.path} {cid}"], lambda: vse.state(cid)["pid"])
    assert sorted(fds) == [0, 1, 2], fds


def exec_pid(pid_file):
    """vse exec writes the pid file once the process has exec'd, maybe after it printed."""
    assert wait_for(lambda: pid_file.exists() and pid_file.read_text().strip()), "no pid file"
    return int(pid_file.read_text())


def test_no_runtime_fd_leaks_into_exec(vse, bundle, tmp_path):
    """As above for `vse exec`: fds the caller leaves open (no CLOEXEC) stay out."""
    hostdir = tmp_path / "vse-leaked-dir"
    hostdir.mkdir()
    bundle.set_args("sleep", "1000")
    rc, out, cid = detach(vse, bundle, tmp_path)
    assert rc == 0, out
    pid_file = tmp_path / "exec.pid"
    _, fds = fds_when_idle(["bash", "-c", f"exec 7<{hostdir} 8<{hostdir}; exec {vse.bin} "
                            f"--root {vse.root} exec --pid-file {pid_file} {cid} sh -c "
                            f"'{IDLE}'"], lambda: exec_pid(pid_file))
    assert sorted(fds) == [0, 1, 2], fds


@pytest.mark.parametrize("fd", [3, 4, 5, 6, 7, 8, 9])
def test_cwd_through_leaked_proc_fd_is_refused(vse, bundle, tmp_path, fd):
    """CVE-2024-21626: fds 3..9 really are host directories (passed with --preserve-fds, as a
    leak would be), so the chdir itself would succeed. cwd /proc/self/fd/N, and a symlink in
    the image to it, must both be refused and the host directory never listed."""
    hostdir = tmp_path / "vse-host-dir"
    hostdir.mkdir()
    (hostdir / "vse-host-secret").write_text("x\n")
    os.symlink(f"/proc/self/fd/{fd}", os.path.join(bundle.rootfs, "vse-leak"))
    opens = " ".join(f"{n}<{hostdir}" for n in range(3, 10))
    for cwd in (f"/proc/self/fd/{fd}", "/vse-leak"):
        bundle.config["process"]["cwd"] = cwd
        bundle.set_args("sh", "-c", "pwd; ls . ../../..")
        cid = vse.new_id()
        r = subprocess.run(["bash", "-c", f"exec {opens}; exec {vse.bin} --root {vse.root} run "
                            f"--preserve-fds 7 -b {bundle.path} {cid}"], capture_output=True,
                           text=True, timeout=60, stdin=subprocess.DEVNULL)
        assert "vse-host-secret" not in r.stdout, f"cwd {cwd} reached the host:\n{r.stdout}"
        assert r.returncode != 0, f"cwd {cwd} was accepted:\n{r.stdout}"
        assert "cwd" in r.stderr.lower(), r.stderr


@pytest.mark.parametrize("fd", [3, 5, 7])
def test_exec_cwd_through_proc_fd_is_refused(vse, bundle, fd, tmp_path):
    """The same for `vse exec --cwd`, with fds 3..9 host directories (--preserve-fds 7)."""
    hostdir = tmp_path / "vse-host-dir"
    hostdir.mkdir()
    (hostdir / "vse-host-secret").write_text("x\n")
    os.symlink(f"/proc/self/fd/{fd}", os.path.join(bundle.rootfs, "vse-leak"))
    bundle.set_args("sleep", "1000")
    rc, out, cid = detach(vse, bundle, tmp_path)
    assert rc == 0, out
    opens = " ".join(f"{n}<{hostdir}" for n in range(3, 10))
    for cwd in (f"/proc/self/fd/{fd}", "/vse-leak"):
        r = subprocess.run(["bash", "-c", f"exec {opens}; exec {vse.bin} --root {vse.root} "
                            f"exec --preserve-fds 7 --cwd {cwd} {cid} sh -c 'pwd; ls . ../../..'"],
                           capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
        assert "vse-host-secret" not in r.stdout, f"exec --cwd {cwd} reached the host:\n{r.stdout}"
        assert r.returncode != 0, f"exec --cwd {cwd} was accepted:\n{r.stdout}"


def test_preserve_fds_passes_exactly_the_requested(vse, bundle, tmp_path):
    a = tmp_path / "vse-fd3"
    b = tmp_path / "vse-fd4"
    c = tmp_path / "vse-fd5"
    a.write_text("three\n")
    b.write_text("four\n")
    c.write_text("five\n")
    bundle.set_args("sh", "-c", "cat <&3; cat <&4; " + IDLE)
    cid = vse.new_id()
    cmd = (f"exec 3<{a} 4<{b} 5<{c}; exec {vse.bin} --root {vse.root} run --preserve-fds 2 "
           f"-b {bundle.path} {cid}")
    lines, fds = fds_when_idle(["bash", "-c", cmd], lambda: vse.state(cid)["pid"])
    assert sorted(fds) == [0, 1, 2, 3, 4], fds
    assert lines == ["three", "four"], lines


# --------------------------------------------------------------------------- CVE-2021-30465

def test_bind_mount_onto_symlink_to_host_lands_inside(vse, bundle, tmp_path):
    outside = tmp_path / "vse-outside"
    outside.mkdir()
    src = tmp_path / "vse-bind-src"
    src.mkdir()
    (src / "payload").write_text("x\n")
    os.symlink(str(outside), os.path.join(bundle.rootfs, "evil"))
    os.symlink("../" * 12 + str(outside).lstrip("/"), os.path.join(bundle.rootfs, "evil-rel"))
    bundle.config["root"]["readonly"] = False
    bundle.config["mounts"] += [
        {"destination": "/evil", "type": "bind", "source": str(src), "options": ["rbind"]},
        {"destination": "/evil-rel/deeper", "type": "bind", "source": str(src),
         "options": ["rbind"]},
        {"destination": "/../../../../" + str(outside).lstrip("/") + "/dotdot",
         "type": "tmpfs", "source": "tmpfs"},
    ]
    r = run(vse, bundle, "sh", "-c", "ls /evil /evil-rel/deeper; touch /evil/made-inside")
    assert "payload" in r.stdout
    assert os.listdir(outside) == [], "a mount or file appeared in the host path"
    assert host_mounts_under(outside) == []
    assert (src / "made-inside").exists()  # the bind itself works


# --------------------------------------------------------------------------- /proc tricks

# /proc/kcore is absent on some kernels (this VM's); /proc/keys and /proc/timer_list are
# masked files that exist everywhere. "kcore-masked" means: each masked file that exists reads
# empty, and at least one exists.
PROC_CHECKS = (
    "n=0; leak=0; for f in /proc/kcore /proc/keys /proc/timer_list; do "
    "[ -e $f ] || continue; n=$((n+1)); "
    "[ $(head -c 16 $f 2>/dev/null | wc -c) -gt 0 ] && leak=1; done; "
    "if [ $n -gt 0 ] && [ $leak = 0 ]; then echo kcore-masked; else echo kcore-readable; fi; "
    "if echo vse-h > /proc/sys/kernel/hostname 2>/dev/null; then echo sys-writable; "
    "else echo sys-readonly; fi; "
    "if [ -d /proc/1 ]; then echo proc-ok; fi"
)


def test_proc_symlink_to_host_path_cannot_unmask(vse, bundle, tmp_path):
    """CVE-2019-16884 class: the image's /proc is a symlink (here to a host path)."""
    outside = tmp_path / "vse-host-proc"
    outside.mkdir()
    shutil.rmtree(os.path.join(bundle.rootfs, "proc"))
    os.symlink(str(outside), os.path.join(bundle.rootfs, "proc"))
    r = run(vse, bundle, "sh", "-c", PROC_CHECKS, check=False)
    print("rc", r.returncode, "stdout", r.stdout, "stderr", r.stderr)
    assert os.listdir(outside) == [] and host_mounts_under(outside) == []
    if r.returncode == 0:
        assert "kcore-masked" in r.stdout and "sys-readonly" in r.stdout, r.stdout
        assert "proc-ok" in r.stdout, r.stdout


def test_proc_symlink_inside_rootfs_still_masked(vse, bundle):
    shutil.rmtree(os.path.join(bundle.rootfs, "proc"))
    os.makedirs(os.path.join(bundle.rootfs, "elsewhere"))
    os.symlink("elsewhere", os.path.join(bundle.rootfs, "proc"))
    r = run(vse, bundle, "sh", "-c", PROC_CHECKS, check=False)
    print("rc", r.returncode, "stdout", r.stdout, "stderr", r.stderr)
    if r.returncode == 0:
        assert "kcore-masked" in r.stdout and "sys-readonly" in r.stdout, r.stdout


def make_fake_proc(root):
    fake = os.path.join(root, "fakeproc")
    os.makedirs(os.path.join(fake, "sys", "kernel"))
    os.makedirs(os.path.join(fake, "self"))
    with open(os.path.join(fake, "kcore"), "w") as f:
        f.write("FAKE-KCORE\n")
    with open(os.path.join(fake, "self", "oom_score_adj"), "w") as f:
        f.write("FAKE\n")
    with open(os.path.join(fake, "sys", "kernel", "hostname"), "w") as f:
        f.write("FAKE\n")
    return fake


def test_image_bind_over_proc_cannot_redirect_runtime_writes(vse, bundle, tmp_path):
    """CVE-2019-19921 / -16884 class: /proc is covered by a bind of a directory of the image.
    oomScoreAdj must reach the real procfs (or be refused), never the image's fake file."""
    fake = make_fake_proc(bundle.rootfs)
    bundle.config["root"]["readonly"] = False
    bundle.config["mounts"].insert(1, {"destination": "/proc", "type": "bind",
                                       "source": fake, "options": ["rbind"]})
    bundle.config["process"]["oomScoreAdj"] = 123
    bundle.set_args("sleep", "1000")
    rc, out, cid = detach(vse, bundle, tmp_path)
    print("rc", rc, out)
    assert open(os.path.join(fake, "self", "oom_score_adj")).read() == "FAKE\n"
    assert open(os.path.join(fake, "kcore")).read() == "FAKE-KCORE\n"
    if rc == 0:
        pid = vse.state(cid)["pid"]
        with open(f"/proc/{pid}/oom_score_adj") as f:
            assert f.read().strip() == "123"


def test_sysctl_writes_go_to_real_procfs(vse, bundle, tmp_path):
    fake = make_fake_proc(bundle.rootfs)
    os.makedirs(os.path.join(fake, "sys", "net", "ipv4"))
    with open(os.path.join(fake, "sys", "net", "ipv4", "ip_forward"), "w") as f:
        f.write("FAKE\n")
    bundle.config["root"]["readonly"] = False
    bundle.config["mounts"].insert(1, {"destination": "/proc", "type": "bind",
                                       "source": fake, "options": ["rbind"]})
    bundle.config["linux"]["sysctl"] = {"net.ipv4.ip_forward": "1"}
    bundle.set_args("sleep", "1000")
    rc, out, cid = detach(vse, bundle, tmp_path)
    assert open(os.path.join(fake, "sys", "net", "ipv4", "ip_forward")).read() == "FAKE\n", \
        "the sysctl was written into the image's fake /proc"
    if rc == 0:
        pid = vse.state(cid)["pid"]
        # read the container's real value through its net namespace
        out = subprocess.run(["nsenter", "-t", str(pid), "-n", "cat",
                              "/proc/sys/net/ipv4/ip_forward"], capture_output=True, text=True)
        assert out.stdout.strip() == "1", out


# --------------------------------------------------------------------------- /dev/null class

def fake_dev(bundle, null_kind):
    d = os.path.join(bundle.rootfs, "fakedev")
    os.makedirs(d)
    null = os.path.join(d, "null")
    if null_kind == "symlink":
        os.symlink("/proc/sys/kernel/core_pattern", null)
    else:
        with open(null, "w") as f:
            f.write("")
    bundle.config["root"]["readonly"] = False
    mounts = [m for m in bundle.config["mounts"] if not m["destination"].startswith("/dev")]
    mounts.insert(1, {"destination": "/dev", "type": "bind", "source": d, "options": ["rbind"]})
    bundle.config["mounts"] = mounts
    return d


@pytest.mark.parametrize("null_kind", ["symlink", "regular"])
def test_fake_dev_null_cannot_unmask(vse, bundle, null_kind):
    """CVE-2025-31133 class: /dev/null is not the null device when maskedPaths are applied.
    The probe never redirects to /dev/null (the image's fake one would make a failed
    redirection look like an empty read): each masked file that exists must be the null device
    (1:3) and read nothing, and writes to it must not reach the image's file."""
    with open("/proc/sys/kernel/core_pattern") as f:
        core_before = f.read()
    d = fake_dev(bundle, null_kind)
    probe = ("for f in /proc/kcore /proc/keys /proc/timer_list; do [ -e $f ] || continue; "
             "echo \"masked $f $(stat -L -c '%F %t:%T' $f 2>&1) $(head -c 16 $f 2>&1 | wc -c)\"; "
             "done; ")
    if null_kind == "regular":  # a write could only reach the image's file, never the host
        probe += ("for f in /proc/keys /proc/timer_list; do "
                  "(echo vse-pwn >> $f) 2>&1 && echo \"write-ok $f\"; done; ")
    r = run(vse, bundle, "sh", "-c", probe + "echo probe-done", check=False)
    print("rc", r.returncode, "stdout", r.stdout, "stderr", r.stderr)
    with open("/proc/sys/kernel/core_pattern") as f:
        assert f.read() == core_before, "host core_pattern changed"
    if null_kind == "regular":
        assert open(os.path.join(d, "null")).read() == ""
    if r.returncode == 0:
        assert "probe-done" in r.stdout, r.stdout
        masked = [l for l in r.stdout.splitlines() if l.startswith("masked ")]
        assert masked, r.stdout
        for line in masked:
            assert line.endswith(" character special file 1:3 0"), line
        assert "write-ok" not in r.stdout, r.stdout
    else:
        assert "/dev/null" in r.stderr, r.stderr


def test_dev_console_symlink_is_not_followed(vse, bundle, tmp_path):
    """CVE-2025-52565 class: /dev/console of the image is a symlink to a procfs file; the pty
    must be bound inside /dev (or refused), and /proc/sys stays read-only. The image's /dev
    keeps a devpts at /dev/pts, so vse gets as far as binding the console."""
    with open("/proc/sys/kernel/core_pattern") as f:
        core_before = f.read()
    d = fake_dev(bundle, "regular")
    os.unlink(os.path.join(d, "null"))
    os.mknod(os.path.join(d, "null"), 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # masking works
    os.makedirs(os.path.join(d, "pts"))
    bundle.config["mounts"].insert(2, {
        "destination": "/dev/pts", "type": "devpts", "source": "devpts",
        "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"]})
    os.symlink("/proc/sys/kernel/core_pattern", os.path.join(d, "console"))
    bundle.config["process"]["terminal"] = True
    bundle.set_args("sh", "-c", "stat -c '%F %t' /dev/console; "
                    "stat -L -c 'target %F %t' /proc/sys/kernel/core_pattern; " + PROC_CHECKS)
    cid = vse.new_id()
    try:
        r = subprocess.run(["script", "-qec", f"{vse.bin} --root {vse.root} run -b "
                            f"{bundle.path} {cid}", "/dev/null"],
                           capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    except FileNotFoundError:
        pytest.skip("script(1) from util-linux is needed to give vse run a terminal")
    print("rc", r.returncode, "stdout", r.stdout, "stderr", r.stderr)
    with open("/proc/sys/kernel/core_pattern") as f:
        assert f.read() == core_before
    # the run got past the devpts/ptmx step: a refusal, if any, is about /dev/console itself
    assert "ptmx" not in r.stdout + r.stderr, r.stdout + r.stderr
    if "proc-ok" in r.stdout:
        assert "character special file 88" in r.stdout, r.stdout  # a pty slave (major 136)
        assert "target character special" not in r.stdout, r.stdout  # the pty is not on procfs
        assert "sys-readonly" in r.stdout and "kcore-masked" in r.stdout, r.stdout
    else:
        assert "/dev/console" in r.stdout + r.stderr, r.stdout + r.stderr


# --------------------------------------------------------------------------- host symlinks

def test_rootfs_symlinks_for_proc_sys_dev_to_host(vse, bundle, tmp_path):
    """/proc, /sys and /dev of the image are absolute symlinks to host dirs. They resolve
    inside the rootfs, so the container starts and sees its own /proc, /sys and /dev; a mount
    that followed the symlink out would land where the container cannot see it (and this
    test would fail on the run)."""
    targets = {}
    for name in ("proc", "sys", "dev"):
        t = tmp_path / f"vse-host-{name}"
        t.mkdir()
        targets[name] = t
        shutil.rmtree(os.path.join(bundle.rootfs, name))
        os.symlink(str(t), os.path.join(bundle.rootfs, name))
    r = run(vse, bundle, "sh", "-c",
            "ls /proc/1/status && ls /sys/kernel >/dev/null && ls -l /dev/null && "
            "echo inside-ok", check=False)
    print("rc", r.returncode, "stdout", r.stdout, "stderr", r.stderr)
    for name, t in targets.items():
        assert os.listdir(t) == [], f"{name}: something appeared in the host path {t}"
        assert host_mounts_under(t) == [], f"{name}: a mount landed on the host path {t}"
    assert r.returncode == 0, r.stderr
    assert "inside-ok" in r.stdout, r.stdout


# --------------------------------------------------------------------------- pid namespace

def test_container_cannot_see_or_kill_the_runtime(vse, bundle):
    r = run(vse, bundle, "sh", "-c",
            "ls -d /proc/[0-9]* | tr '\\n' ' '; echo; "
            "awk '/^PPid/{print \"ppid\", $2}' /proc/1/status; "
            "kill -9 -1; sleep 0.5; echo survived")
    lines = r.stdout.splitlines()
    pids = sorted(int(p.rsplit("/", 1)[1]) for p in lines[0].split())
    assert pids[0] == 1 and len(pids) <= 4, r.stdout  # sh, ls and the subshell, no runtime
    assert "ppid 0" in r.stdout, r.stdout
    assert "survived" in r.stdout  # kill -1 from pid 1 skips itself and the runtime is outside


def test_kill_after_init_death_signals_nothing(vse, bundle, tmp_path):
    bundle.set_args("sleep", "1000")
    rc, out, cid = detach(vse, bundle, tmp_path)
    assert rc == 0, out
    pid = vse.state(cid)["pid"]
    os.kill(pid, signal.SIGKILL)
    assert wait_for(lambda: not pid_alive(pid) or open(f"/proc/{pid}/stat").read().split()[2]
                    == "Z")
    assert wait_for(lambda: vse.state(cid)["status"] == "stopped")
    r = vse("kill", cid, "KILL")
    assert r.returncode != 0 and ("not running" in r.stderr or "stopped" in r.stderr), r.stderr


def test_kill_with_reused_pid_never_hits_the_wrong_process(vse, bundle, tmp_path):
    """A recycled pid is simulated by pointing state.json's pid at an unrelated live process
    while keeping the container's recorded start time: vse must see the mismatch."""
    bundle.set_args("sleep", "1000")
    rc, out, cid = detach(vse, bundle, tmp_path)
    assert rc == 0, out
    pid = vse.state(cid)["pid"]
    bystander = subprocess.Popen(["sleep", "1000"])
    try:
        os.kill(pid, signal.SIGKILL)
        assert wait_for(lambda: vse.state(cid)["status"] == "stopped")
        state_path = os.path.join(vse.root, cid, "state.json")
        st = json.load(open(state_path))
        st["pid"] = bystander.pid
        with open(state_path, "w") as f:
            json.dump(st, f)
        assert vse.state(cid)["status"] == "stopped"
        vse("kill", cid, "KILL")
        vse("kill", "--all", cid, "KILL")
        vse("delete", "--force", cid)
        time.sleep(0.2)
        assert bystander.poll() is None, "vse signalled a process that reused the init's pid"
    finally:
        bystander.kill()
        bystander.wait()
