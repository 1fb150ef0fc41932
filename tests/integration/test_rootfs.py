"""rootfs/ through the real binary: mounts, /dev, devices, masked and read-only paths, a read-only
root, symlinked mount destinations that try to leave the rootfs, and errors naming mounts[i]."""
import os
import subprocess

import pytest

from conftest import REPO, VSE_BIN


@pytest.fixture(autouse=True)
def need_binary():
    if not os.access(VSE_BIN, os.X_OK):
        pytest.skip(f"vse binary not built at {VSE_BIN}")


def run(vse, bundle, *args, check=True):
    bundle.config["process"]["args"] = list(args)
    bundle.write()
    cid = vse.new_id()
    r = vse("run", "--bundle", bundle.path, cid)
    if check:
        assert r.returncode == 0, f"exit {r.returncode}\nstdout: {r.stdout}\nstderr: {r.stderr}"
    return r


def mountinfo(text):
    """mount point -> (fstype, per-mount options) from `cat /proc/self/mountinfo` output."""
    out = {}
    for line in text.splitlines():
        left, _, right = line.partition(" - ")
        f = left.split()
        if len(f) < 6 or not right:
            continue
        out[f[4]] = (right.split()[0], set(f[5].split(",")))
    return out


def test_default_mounts(vse, bundle):
    r = run(vse, bundle, "cat", "/proc/self/mountinfo")
    m = mountinfo(r.stdout)
    assert m["/"][1] >= {"ro"}, m["/"]
    assert m["/proc"][0] == "proc"
    assert m["/dev"][0] == "tmpfs" and "nosuid" in m["/dev"][1]
    assert m["/dev/pts"][0] == "devpts"
    assert m["/dev/shm"][0] == "tmpfs" and {"nosuid", "nodev", "noexec"} <= m["/dev/shm"][1]
    assert m["/dev/mqueue"][0] == "mqueue"
    assert m["/sys"][0] == "sysfs" and "ro" in m["/sys"][1]
    assert "ro" in m["/sys/fs/cgroup"][1]
    # nothing of the host's mount table is visible
    assert not any(p.startswith(str(bundle.path)) for p in m)


def test_default_dev(vse, bundle):
    r = run(vse, bundle, "sh", "-c",
            "for d in null zero full random urandom tty; do stat -c '%n %F %t:%T %a' /dev/$d; "
            "done; for l in ptmx fd stdin; do readlink /dev/$l; done")
    lines = r.stdout.splitlines()
    want = {"/dev/null": "1:3", "/dev/zero": "1:5", "/dev/full": "1:7", "/dev/random": "1:8",
            "/dev/urandom": "1:9", "/dev/tty": "5:0"}
    got = {l.split()[0]: l for l in lines if l.startswith("/dev/")}
    for dev, nums in want.items():
        assert "character special file" in got[dev] and f" {nums} 666" in got[dev], got[dev]
    assert lines[-3:] == ["pts/ptmx", "/proc/self/fd", "/proc/self/fd/0"]


def test_bind_mounts_ro_rw(vse, bundle, tmp_path):
    share = tmp_path / "vse-share"
    share.mkdir()
    (share / "f").write_text("from host\n")
    bundle.config["mounts"] += [
        {"destination": "/mnt/ro", "type": "bind", "source": str(share),
         "options": ["rbind", "ro"]},
        {"destination": "/mnt/rw", "type": "bind", "source": str(share), "options": ["bind"]},
        {"destination": "/etc/hostfile", "type": "bind", "source": str(share / "f"),
         "options": ["bind", "ro"]},
    ]
    r = run(vse, bundle, "sh", "-c",
            "cat /mnt/ro/f; echo x > /mnt/ro/y && echo ro-writable; "
            "echo hi > /mnt/rw/z && echo rw-ok; cat /etc/hostfile")
    assert r.stdout.splitlines() == ["from host", "rw-ok", "from host"], r.stdout + r.stderr
    assert "Read-only file system" in r.stderr
    assert (share / "z").read_text() == "hi\n"
    assert not (share / "y").exists()


def test_tmpfs_options(vse, bundle):
    bundle.config["mounts"].append(
        {"destination": "/mnt/t", "type": "tmpfs", "source": "tmpfs",
         "options": ["size=1m", "mode=700", "uid=1234", "noexec", "nosuid"]})
    r = run(vse, bundle, "sh", "-c", "stat -c '%a %u' /mnt/t; cat /proc/self/mountinfo")
    assert r.stdout.splitlines()[0] == "700 1234"
    fstype, opts = mountinfo(r.stdout)["/mnt/t"]
    assert fstype == "tmpfs" and {"rw", "noexec", "nosuid"} <= opts


def test_masked_paths(vse, bundle):
    bundle.config["linux"]["maskedPaths"] += ["/etc/passwd"]
    r = run(vse, bundle, "sh", "-c",
            "wc -c < /etc/passwd; ls -A /sys/firmware | wc -l; stat -c '%t:%T' /etc/passwd; "
            "echo x > /sys/firmware/x && echo writable; true")
    assert r.stdout.split() == ["0", "0", "1:3"], r.stdout + r.stderr
    assert "Read-only file system" in r.stderr
    # the host file behind it is untouched
    with open(os.path.join(bundle.rootfs, "etc", "passwd")) as f:
        assert f.read().startswith("root:")


def test_readonly_paths(vse, bundle):
    bundle.config["linux"]["readonlyPaths"] += ["/tmp"]
    bundle.config["root"]["readonly"] = False
    r = run(vse, bundle, "sh", "-c",
            "echo vse > /proc/sys/kernel/hostname && echo proc-writable; "
            "touch /tmp/x && echo tmp-writable; touch /x && echo root-writable; "
            "cat /proc/self/mountinfo")
    assert "proc-writable" not in r.stdout and "tmp-writable" not in r.stdout
    assert "root-writable" in r.stdout
    m = mountinfo(r.stdout)
    assert "ro" in m["/proc/sys"][1] and "ro" in m["/tmp"][1]
    assert not os.path.exists(os.path.join(bundle.rootfs, "tmp", "x"))


def test_readonly_root(vse, bundle):
    r = run(vse, bundle, "sh", "-c", "touch /vse-x && echo writable; mkdir /vse-d; true")
    assert "writable" not in r.stdout
    assert "Read-only file system" in r.stderr
    assert not os.path.exists(os.path.join(bundle.rootfs, "vse-x"))


def test_devices(vse, bundle):
    bundle.config["linux"]["devices"] = [
        {"path": "/dev/vsezero", "type": "c", "major": 1, "minor": 5, "fileMode": 0o640,
         "uid": 1000, "gid": 1001},
        {"path": "/dev/vse/nested", "type": "c", "major": 1, "minor": 7},
    ]
    r = run(vse, bundle, "sh", "-c",
            "stat -c '%t:%T %a %u %g' /dev/vsezero; stat -c '%F %t:%T' /dev/vse/nested")
    assert r.stdout.splitlines() == ["1:5 640 1000 1001", "character special file 1:7"], \
        r.stdout + r.stderr


def test_destination_symlink_escape(vse, bundle, tmp_path):
    host_dir = tmp_path / "vse-escape-target"
    host_dir.mkdir()
    (host_dir / "keep").write_text("host\n")
    # absolute and relative links in the image pointing at the host directory
    os.symlink(str(host_dir), os.path.join(bundle.rootfs, "evil"))
    os.symlink("../../../../../../../../.." + str(host_dir), os.path.join(bundle.rootfs, "evil2"))
    bundle.config["root"]["readonly"] = False
    bundle.config["mounts"] += [
        {"destination": "/evil", "type": "tmpfs", "source": "tmpfs"},
        {"destination": "/evil2/sub", "type": "tmpfs", "source": "tmpfs"},
    ]
    r = run(vse, bundle, "sh", "-c",
            "touch /evil/x /evil2/sub/y; ls -A /evil; cat /proc/self/mountinfo")
    m = mountinfo(r.stdout)
    # the mounts landed inside the rootfs, at the link targets taken inside it
    assert str(host_dir) in m and str(host_dir / "sub") in m, r.stdout
    assert sorted(os.listdir(host_dir)) == ["keep"]
    assert os.path.isdir(os.path.join(bundle.rootfs, str(host_dir).lstrip("/")))


def test_bad_mount_type_names_the_mount(vse, bundle):
    bundle.config["mounts"].append(
        {"destination": "/vse-bad", "type": "vsenosuchfs", "source": "none"})
    idx = len(bundle.config["mounts"]) - 1
    r = run(vse, bundle, "true", check=False)
    assert r.returncode != 0
    assert f"mounts[{idx}] /vse-bad" in r.stderr, r.stderr
    assert "vsenosuchfs" in r.stderr


def test_missing_bind_source_names_the_mount(vse, bundle):
    bundle.config["mounts"].append(
        {"destination": "/mnt/x", "type": "bind", "source": "/vse-no-such-source",
         "options": ["rbind"]})
    idx = len(bundle.config["mounts"]) - 1
    r = run(vse, bundle, "true", check=False)
    assert r.returncode != 0
    assert f"mounts[{idx}] /mnt/x" in r.stderr and "No such file" in r.stderr, r.stderr


def test_cgroup_mount_ignores_covered_host_hierarchies(vse, bundle, tmp_path):
    """mountinfo still lists mounts that a later mount covers. In a mount namespace whose
    /sys/fs/cgroup is a tmpfs holding only the v1 hierarchies (how bench/ runs crun on this
    hybrid host), the covered cgroup2 mount at /sys/fs/cgroup/unified must not be used: the
    container starts and sees exactly the visible hierarchies."""
    if not os.path.isdir("/sys/fs/cgroup/memory"):
        pytest.skip("needs cgroup v1 hierarchies (host has no /sys/fs/cgroup/memory)")
    cid = vse.new_id()
    bundle.set_args("sh", "-c", "ls /sys/fs/cgroup")
    view = tmp_path / "v1view"
    view.mkdir()
    script = f"""
set -e
. {REPO}/bench/v1view.sh
v1_view {view}
exec {vse.bin} --root {vse.root} run --bundle {bundle.path} {cid}
"""
    r = subprocess.run(["unshare", "--mount", "--propagation", "private", "bash", "-c", script],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    seen = set(r.stdout.split())
    assert "memory" in seen and "freezer" in seen, r.stdout
    assert "unified" not in seen, r.stdout
