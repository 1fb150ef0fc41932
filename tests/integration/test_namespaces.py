"""Namespaces as the container sees them: hostname, pid 1, new vs host namespaces, user-namespace
id mappings, time offsets, cgroup namespace root, and joining an existing netns by path."""
import json
import os
import subprocess
import time
import uuid

import pytest


def run_in(vse, bundle, *args):
    bundle.set_args(*args)
    r = vse("run", "--bundle", bundle.path, vse.new_id())
    assert r.returncode == 0, r.stderr
    return r.stdout


def ns_inode(path):
    return os.stat(path).st_ino


def test_hostname_and_domainname(vse, bundle):
    bundle.config["hostname"] = "vse-host-test"
    bundle.config["domainname"] = "vse.example"
    out = run_in(vse, bundle, "sh", "-c", "hostname; cat /proc/sys/kernel/domainname")
    assert out.split() == ["vse-host-test", "vse.example"]
    assert os.uname().nodename != "vse-host-test"


def test_pid_namespace_init_is_pid_1(vse, bundle):
    out = run_in(vse, bundle, "sh", "-c", "echo $$; ls /proc | grep -c '^[0-9]'")
    pid, count = out.split()
    assert pid == "1"
    assert int(count) <= 3  # sh, ls, grep: nothing of the host is visible


def test_new_namespaces_differ_from_host(vse, bundle):
    kinds = ["net", "ipc", "uts", "mnt", "pid", "cgroup"]
    script = "; ".join(f"stat -L -c %i /proc/self/ns/{k}" for k in kinds)
    out = run_in(vse, bundle, "sh", "-c", script).split()
    for kind, inode in zip(kinds, out):
        assert int(inode) != ns_inode(f"/proc/self/ns/{kind}"), kind


def test_cgroup_namespace_root(vse, bundle):
    out = run_in(vse, bundle, "cat", "/proc/self/cgroup")
    lines = [l for l in out.splitlines() if l.strip()]
    assert lines
    # Inside a cgroup namespace rooted at the container's cgroup every path is "/".
    for line in lines:
        assert line.rsplit(":", 1)[1] == "/", line


def test_network_namespace_has_only_loopback(vse, bundle):
    out = run_in(vse, bundle, "ls", "/sys/class/net")
    assert out.split() == ["lo"]


def _open_up_to_root(path):
    """User-namespaced container root (host uid 100000) must be able to walk to the rootfs;
    pytest makes its temp dirs 0700."""
    changed = []
    p = os.path.realpath(path)
    while p != "/":
        mode = os.stat(p).st_mode & 0o777
        if mode & 0o005 != 0o005:
            changed.append((p, mode))
            os.chmod(p, mode | 0o005)
        p = os.path.dirname(p)
    return changed


def test_user_namespace_mappings(vse, bundle):
    cfg = bundle.config
    cfg["linux"]["namespaces"].append({"type": "user"})
    cfg["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    cfg["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    # v1 cgroup hierarchies cannot be mounted from a user namespace.
    cfg["mounts"] = [m for m in cfg["mounts"] if m["type"] != "cgroup"]
    changed = _open_up_to_root(bundle.rootfs)
    try:
        bundle.set_args("sh", "-c", "cat /proc/self/uid_map /proc/self/gid_map; id -u; "
                        "sleep 100")
        cid = vse.new_id()
        p = subprocess.Popen([vse.bin, "--root", vse.root, "run", "--bundle", bundle.path, cid],
                             stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        try:
            first = p.stdout.readline() + p.stdout.readline() + p.stdout.readline()
            # Host view: the init runs as host uid 100000.
            pid = vse.state(cid)["pid"]
            with open(f"/proc/{pid}/status") as f:
                uids = [l for l in f if l.startswith("Uid:")][0].split()[1:]
            assert uids == ["100000"] * 4
        finally:
            vse("kill", cid, "KILL")
            out, err = p.communicate(timeout=20)
        maps = [l.split() for l in first.splitlines()]
        assert maps[0] == ["0", "100000", "65536"], (first, err)
        assert maps[1] == ["0", "100000", "65536"]
        assert maps[2] == ["0"]
    finally:
        for path, mode in changed:
            os.chmod(path, mode)


def test_user_namespace_oom_score_adj_and_sysctl(vse, bundle, tmp_path):
    """The init and exec'd processes are non-dumpable while they set up, so their /proc/self
    files belong to the host's root; the root of a user namespace must still be able to set
    oomScoreAdj, and sysctls go through procfs from inside the user namespace."""
    cfg = bundle.config
    cfg["linux"]["namespaces"].append({"type": "user"})
    cfg["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    cfg["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    cfg["mounts"] = [m for m in cfg["mounts"] if m["type"] != "cgroup"]
    cfg["process"]["oomScoreAdj"] = 555
    cfg["linux"]["sysctl"] = {"net.ipv4.ip_forward": "1"}
    probe = "cat /proc/self/oom_score_adj /proc/sys/net/ipv4/ip_forward"
    changed = _open_up_to_root(bundle.rootfs)
    try:
        bundle.set_args("sh", "-c", probe)
        r = vse("run", "--bundle", bundle.path, vse.new_id())
        assert r.returncode == 0, r.stderr
        assert r.stdout.split() == ["555", "1"], r.stdout
        bundle.set_args("sleep", "1000")
        cid = vse.new_id()
        with open(tmp_path / "run.log", "w") as log:
            rc = subprocess.run([vse.bin, "--root", vse.root, "run", "-d", "--bundle",
                                 bundle.path, cid], stdin=subprocess.DEVNULL, stdout=log,
                                stderr=log, timeout=60).returncode
        assert rc == 0, (tmp_path / "run.log").read_text()
        r = vse("exec", cid, "sh", "-c", probe)
        assert r.returncode == 0, r.stderr
        assert r.stdout.split() == ["555", "1"], r.stdout
    finally:
        for path, mode in changed:
            os.chmod(path, mode)


def test_init_is_not_dumpable_during_setup(vse, bundle, tmp_path):
    """PR_SET_DUMPABLE 0 from birth: while the init sets up (held here by a createRuntime
    hook), its /proc/<pid> files belong to the host's root although it already runs as the
    user namespace's root (host uid 100000); a dumpable process would own them itself."""
    cfg = bundle.config
    cfg["linux"]["namespaces"].append({"type": "user"})
    cfg["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    cfg["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    cfg["mounts"] = [m for m in cfg["mounts"] if m["type"] != "cgroup"]
    state, ready, go = tmp_path / "state.json", tmp_path / "ready", tmp_path / "go"
    hook = tmp_path / "vse-hold-hook.sh"
    hook.write_text(f"#!/bin/sh\n/bin/cat > {state}\n: > {ready}\n"
                    f"while [ ! -e {go} ]; do /bin/sleep 0.05; done\n")
    hook.chmod(0o755)
    cfg["hooks"] = {"createRuntime": [{"path": str(hook), "timeout": 30}]}
    changed = _open_up_to_root(bundle.rootfs)
    try:
        bundle.set_args("sh", "-c", "stat -c %u /proc/self/status")
        cid = vse.new_id()
        p = subprocess.Popen([vse.bin, "--root", vse.root, "run", "--bundle", bundle.path, cid],
                             stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + 20
            while not ready.exists() and time.monotonic() < deadline:
                time.sleep(0.02)
            assert ready.exists(), "the createRuntime hook did not run"
            pid = json.loads(state.read_text())["pid"]
            with open(f"/proc/{pid}/status") as f:
                uids = [l for l in f if l.startswith("Uid:")][0].split()[1:]
            assert uids == ["100000"] * 4, uids
            assert os.stat(f"/proc/{pid}/status").st_uid == 0, "the init is dumpable"
        finally:
            go.touch()
            out, err = p.communicate(timeout=30)
        assert p.returncode == 0, err
        # after execve the container's process is dumpable again: its files are its own
        assert out.split() == ["0"], out
    finally:
        for path, mode in changed:
            os.chmod(path, mode)


def test_user_namespace_without_mappings_fails(vse, bundle):
    bundle.config["linux"]["namespaces"].append({"type": "user"})
    bundle.set_args("true")
    cid = vse.new_id()
    r = vse("run", "--bundle", bundle.path, cid)
    assert r.returncode != 0
    assert "linux.uidMappings" in r.stderr
    assert not os.path.exists(os.path.join(vse.root, cid))


def test_time_namespace_offsets(vse, bundle):
    if not os.path.exists("/proc/self/ns/time"):
        pytest.skip("kernel has no time namespaces (/proc/self/ns/time missing)")
    bundle.config["linux"]["namespaces"].append({"type": "time"})
    bundle.config["linux"]["timeOffsets"] = {"boottime": {"secs": 86400 * 1000, "nanosecs": 0}}
    out = run_in(vse, bundle, "cat", "/proc/uptime")
    container_uptime = float(out.split()[0])
    with open("/proc/uptime") as f:
        host_uptime = float(f.read().split()[0])
    assert container_uptime - host_uptime > 86400 * 1000 - 60


def test_join_existing_netns_by_path(vse, bundle):
    name = "vse-" + uuid.uuid4().hex[:10]
    subprocess.run(["ip", "netns", "add", name], check=True)
    try:
        path = f"/var/run/netns/{name}"
        nss = bundle.config["linux"]["namespaces"]
        bundle.config["linux"]["namespaces"] = [n for n in nss if n["type"] != "network"] + [
            {"type": "network", "path": path}]
        out = run_in(vse, bundle, "stat", "-L", "-c", "%i", "/proc/self/ns/net")
        assert int(out.strip()) == ns_inode(path)
    finally:
        subprocess.run(["ip", "netns", "del", name], check=True)
    assert not os.path.exists(f"/var/run/netns/{name}")


def test_bad_namespace_path_names_field(vse, bundle):
    bundle.config["linux"]["namespaces"].append({"type": "ipc", "path": "/nonexistent/vse-ns"})
    bundle.config["linux"]["namespaces"] = [n for n in bundle.config["linux"]["namespaces"]
                                            if not (n["type"] == "ipc" and "path" not in n)]
    bundle.set_args("true")
    cid = vse.new_id()
    r = vse("run", "--bundle", bundle.path, cid)
    assert r.returncode != 0
    assert "/nonexistent/vse-ns" in r.stderr and "namespaces" in r.stderr
    assert not os.path.exists(os.path.join(vse.root, cid))


def test_join_pid_namespace_of_another_container(vse, bundle, tmp_path, rootfs_template):
    from conftest import make_bundle
    bundle.set_args("sleep", "100")
    first = vse.new_id()
    log = tmp_path / "first.log"
    with open(log, "wb") as f:
        r = subprocess.run([vse.bin, "--root", vse.root, "run", "-d", "--bundle", bundle.path,
                            first], stdin=subprocess.DEVNULL, stdout=f, stderr=f, timeout=60)
    assert r.returncode == 0, log.read_text()
    init = vse.state(first)["pid"]
    second = make_bundle(tmp_path, rootfs_template, name="second")
    nss = second.config["linux"]["namespaces"]
    second.config["linux"]["namespaces"] = [n for n in nss if n["type"] != "pid"] + [
        {"type": "pid", "path": f"/proc/{init}/ns/pid"}]
    out = run_in(vse, second, "sh", "-c", "echo $$; tr '\\0' ' ' < /proc/1/cmdline")
    pid, cmdline = out.split("\n", 1)
    assert pid != "1"  # the first container's init is pid 1 of that namespace
    assert cmdline.split() == ["sleep", "100"]
