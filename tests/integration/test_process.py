"""Process attributes inside real containers (process/ module): rlimits, user, cwd, oom score,
exec errors."""
import os
import resource
import subprocess

import pytest


def host_has_cap_sys_resource():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("CapBnd:"):
                return bool(int(line.split()[1], 16) & (1 << 24))
    return False


def run(vse, bundle, *args):
    bundle.set_args(*args)
    cid = vse.new_id()
    return cid, vse("run", "--bundle", bundle.path, cid)


def limits(text):
    out = {}
    for line in text.splitlines()[1:]:
        name = line[:26].strip()
        fields = line[26:].split()
        out[name] = (fields[0], fields[1])
    return out


def test_rlimits_inside_container(vse, bundle):
    bundle.config["process"]["rlimits"] = [
        {"type": "RLIMIT_NOFILE", "soft": 512, "hard": 1000},
        {"type": "RLIMIT_CORE", "soft": 0, "hard": 0},
        {"type": "RLIMIT_NPROC", "soft": 300, "hard": 400},
    ]
    _, r = run(vse, bundle, "cat", "/proc/self/limits")
    assert r.returncode == 0, r.stderr
    lim = limits(r.stdout)
    assert lim["Max open files"] == ("512", "1000")
    assert lim["Max core file size"] == ("0", "0")
    assert lim["Max processes"] == ("300", "400")


def test_rlimit_hard_raise_needs_cap_sys_resource(vse, bundle):
    if host_has_cap_sys_resource():
        pytest.skip("this host grants CAP_SYS_RESOURCE, so raising a hard limit succeeds")
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    if hard == resource.RLIM_INFINITY:
        pytest.skip("RLIMIT_NOFILE hard limit is unlimited here")
    bundle.config["process"]["rlimits"] = [
        {"type": "RLIMIT_CORE", "soft": 0, "hard": 0},
        {"type": "RLIMIT_NOFILE", "soft": 1024, "hard": hard + 1},
    ]
    cid, r = run(vse, bundle, "true")
    assert r.returncode != 0
    assert "process.rlimits[1] RLIMIT_NOFILE" in r.stderr
    assert "CAP_SYS_RESOURCE" in r.stderr
    assert not os.path.isdir(os.path.join(vse.root, cid))


def test_user_and_groups(vse, bundle):
    bundle.config["process"]["user"] = {"uid": 65534, "gid": 65534,
                                        "additionalGids": [5, 100], "umask": 0o027}
    _, r = run(vse, bundle, "sh", "-c", "grep -E '^(Uid|Gid|Groups):' /proc/self/status; umask")
    assert r.returncode == 0, r.stderr
    lines = dict(l.split(":", 1) for l in r.stdout.splitlines() if ":" in l)
    assert lines["Uid"].split() == ["65534"] * 4
    assert lines["Gid"].split() == ["65534"] * 4
    assert sorted(lines["Groups"].split()) == ["100", "5"]
    assert r.stdout.splitlines()[-1].strip() in ("0027", "027")


def test_cwd(vse, bundle):
    bundle.config["process"]["cwd"] = "/tmp"
    _, r = run(vse, bundle, "pwd")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "/tmp"


def test_cwd_through_proc_fd_is_refused(vse, bundle):
    bundle.config["process"]["cwd"] = "/proc/self/fd/7"
    cid, r = run(vse, bundle, "pwd")
    assert r.returncode != 0
    assert "CVE-2024-21626" in r.stderr
    assert "/proc/self/fd/7" in r.stderr


def test_oom_score_adj(vse, bundle):
    bundle.config["process"]["oomScoreAdj"] = 421
    _, r = run(vse, bundle, "cat", "/proc/self/oom_score_adj")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "421"


def logged(r):
    """stderr with the logfmt quoting undone: the CLI writes runc's `msg="exec \\"foo\\": ..."`."""
    return r.stderr.replace('\\"', '"')


NOT_FOUND = 'exec "vse-no-such-binary": executable file not found in $PATH'


def test_exec_not_found_names_the_executable(vse, bundle):
    cid, r = run(vse, bundle, "vse-no-such-binary")
    assert r.returncode != 0
    assert NOT_FOUND in logged(r)
    assert not os.path.isdir(os.path.join(vse.root, cid))


def test_exec_permission_denied_names_the_executable(vse, bundle):
    path = os.path.join(bundle.rootfs, "noexec")
    with open(path, "w") as f:
        f.write("#!/bin/sh\n")
    os.chmod(path, 0o644)
    cid, r = run(vse, bundle, "/noexec")
    assert r.returncode != 0
    assert 'exec "/noexec": Permission denied' in logged(r)
    assert not os.path.isdir(os.path.join(vse.root, cid))


def test_create_fails_for_a_missing_executable(vse, bundle):
    """Like runc, create checks args[0] before reporting ready: no created container that can
    never start."""
    bundle.set_args("vse-no-such-binary")
    cid = vse.new_id()
    r = vse("create", "--bundle", bundle.path, cid, stdin=subprocess.DEVNULL)
    assert r.returncode != 0
    assert NOT_FOUND in logged(r)
    assert not os.path.isdir(os.path.join(vse.root, cid))


def test_exec_of_missing_or_denied_executable_names_it(vse, bundle, tmp_path):
    path = os.path.join(bundle.rootfs, "noexec")
    with open(path, "w") as f:
        f.write("#!/bin/sh\n")
    os.chmod(path, 0o644)
    bundle.set_args("sleep", "1000")
    cid = vse.new_id()
    with open(tmp_path / "run.log", "w") as log:
        rc = subprocess.run([vse.bin, "--root", vse.root, "run", "-d", "--bundle", bundle.path,
                             cid], stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                            timeout=60).returncode
    assert rc == 0, (tmp_path / "run.log").read_text()
    r = vse("exec", cid, "vse-no-such-binary")
    assert r.returncode != 0
    assert NOT_FOUND in logged(r)
    r = vse("exec", cid, "/noexec")
    assert r.returncode != 0
    assert 'exec "/noexec": Permission denied' in logged(r)
    assert vse("exec", cid, "true").returncode == 0


def test_io_priority_and_scheduler(vse, bundle):
    bundle.config["process"]["ioPriority"] = {"class": "IOPRIO_CLASS_IDLE", "priority": 0}
    bundle.config["process"]["scheduler"] = {"policy": "SCHED_BATCH", "nice": 5}
    _, r = run(vse, bundle, "sh", "-c", "cut -d' ' -f19,41 /proc/self/stat; ionice")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    nice, policy = lines[0].split()
    assert nice == "5"
    assert policy == "3"  # SCHED_BATCH
    assert lines[1].strip().startswith("idle"), lines
