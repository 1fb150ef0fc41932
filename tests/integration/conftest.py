"""Fixtures shared by every integration test.

Each test gets a private state root (--root) under its tmp dir, a fresh bundle whose rootfs is a
busybox-static userland, and unique container ids `vse-<hex>`. At teardown every container the
test made is force-deleted, and the test fails if a cgroup, mount or process of it is left.
"""
import copy
import json
import os
import shutil
import subprocess
import uuid

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VSE_BIN = os.environ.get("VSE_BIN", os.path.join(REPO, "build", "cli", "vse"))
BUSYBOX = shutil.which("busybox") or "/bin/busybox"
CGROUP_ROOT = "/sys/fs/cgroup"

DEFAULT_CAPS = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]


def default_config(args=None, terminal=False):
    """A config.json like `runc spec`'s, built here so tests do not depend on `vse spec`."""
    return {
        "ociVersion": "1.2.0",
        "process": {
            "terminal": terminal,
            "user": {"uid": 0, "gid": 0},
            "args": args or ["sh"],
            "env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                    "TERM=xterm"],
            "cwd": "/",
            "capabilities": {k: list(DEFAULT_CAPS) for k in
                             ("bounding", "effective", "permitted")},
            "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}],
            "noNewPrivileges": True,
        },
        "root": {"path": "rootfs", "readonly": True},
        "hostname": "vse",
        "mounts": [
            {"destination": "/proc", "type": "proc", "source": "proc"},
            {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
             "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
            {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
             "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620",
                         "gid=5"]},
            {"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
             "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
            {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue",
             "options": ["nosuid", "noexec", "nodev"]},
            {"destination": "/sys", "type": "sysfs", "source": "sysfs",
             "options": ["nosuid", "noexec", "nodev", "ro"]},
            {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
             "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]},
        ],
        "linux": {
            "resources": {"devices": [{"allow": False, "access": "rwm"}]},
            "namespaces": [{"type": t} for t in ("pid", "network", "ipc", "uts", "mount",
                                                  "cgroup")],
            "maskedPaths": ["/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
                            "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
                            "/proc/sched_debug", "/sys/firmware", "/proc/scsi"],
            "readonlyPaths": ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                              "/proc/sysrq-trigger"],
        },
    }


def make_rootfs(path):
    """A complete userland in one static binary: /bin/busybox plus one symlink per applet."""
    for d in ("bin", "sbin", "usr/bin", "usr/sbin", "etc", "proc", "sys", "dev", "tmp", "root",
              "var", "run"):
        os.makedirs(os.path.join(path, d), exist_ok=True)
    shutil.copy2(BUSYBOX, os.path.join(path, "bin", "busybox"))
    applets = subprocess.run([BUSYBOX, "--list"], capture_output=True, text=True,
                             check=True).stdout.split()
    for a in applets:
        link = os.path.join(path, "bin", a)
        if not os.path.lexists(link):
            os.symlink("busybox", link)
    with open(os.path.join(path, "etc", "passwd"), "w") as f:
        f.write("root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n")
    with open(os.path.join(path, "etc", "group"), "w") as f:
        f.write("root:x:0:\ntty:x:5:\nnogroup:x:65534:\n")
    os.chmod(os.path.join(path, "tmp"), 0o1777)


@pytest.fixture(scope="session")
def rootfs_template(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("template") / "rootfs")
    make_rootfs(path)
    return path


class Bundle:
    def __init__(self, path, rootfs_template):
        self.path = str(path)
        self.rootfs = os.path.join(self.path, "rootfs")
        shutil.copytree(rootfs_template, self.rootfs, symlinks=True)
        self.config = default_config()

    def write(self, config=None):
        if config is not None:
            self.config = config
        with open(os.path.join(self.path, "config.json"), "w") as f:
            json.dump(self.config, f, indent=2)
        return self

    def set_args(self, *args):
        self.config["process"]["args"] = list(args)
        return self.write()


@pytest.fixture
def bundle(tmp_path, rootfs_template):
    b = Bundle(tmp_path / "bundle", rootfs_template)
    b.write()
    return b


def make_bundle(tmp_path, rootfs_template, name="bundle"):
    b = Bundle(tmp_path / name, rootfs_template)
    return b.write()


def _schema_validator():
    """config.schema.json claims to describe exactly what vse accepts: every config that vse
    accepts anywhere in the suite is checked against it (see the `vse` fixture)."""
    import jsonschema
    with open(os.path.join(REPO, "config.schema.json")) as f:
        return jsonschema.Draft202012Validator(json.load(f))


def _bundle_of(args):
    """The bundle directory of a create/run command line (--bundle/-b, else the cwd)."""
    args = [str(a) for a in args]
    if not args or args[0] not in ("create", "run"):
        return None
    for i, a in enumerate(args):
        if a in ("--bundle", "-b") and i + 1 < len(args):
            return args[i + 1]
        if a.startswith("--bundle="):
            return a.split("=", 1)[1]
    return os.getcwd()


class Vse:
    """Runs the vse binary with a private --root and remembers every id it was given, and
    every config it accepted."""

    def __init__(self, root):
        self.root = str(root)
        self.bin = VSE_BIN
        self.ids = set()
        self.accepted_configs = []

    def new_id(self):
        cid = "vse-" + uuid.uuid4().hex[:12]
        self.ids.add(cid)
        return cid

    def __call__(self, *args, check=False, timeout=60, input=None, root=True, **kw):
        cmd = [self.bin] + (["--root", self.root] if root else []) + [str(a) for a in args]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, input=input,
                           **kw)
        b = _bundle_of(args) if r.returncode == 0 else None
        if b and os.path.exists(os.path.join(b, "config.json")):
            with open(os.path.join(b, "config.json")) as f:
                self.accepted_configs.append((os.path.join(b, "config.json"), f.read()))
        if check and r.returncode != 0:
            raise AssertionError(f"{' '.join(cmd)} exited {r.returncode}\n"
                                 f"stdout: {r.stdout}\nstderr: {r.stderr}")
        return r

    def state(self, cid):
        r = self(("state"), cid, check=True)
        return json.loads(r.stdout)

    def cleanup(self):
        for cid in list(self.ids):
            state_dir = os.path.join(self.root, cid)
            if os.path.isdir(state_dir):
                # vse keeps a copy of every config it accepted in the state dir
                copy = os.path.join(state_dir, "config.json")
                if os.path.exists(copy):
                    with open(copy) as f:
                        self.accepted_configs.append((copy, f.read()))
                self("delete", "--force", cid, timeout=30)


def leftover_cgroups(cid):
    found = []
    for dirpath, dirnames, _ in os.walk(CGROUP_ROOT):
        if dirpath.count("/") > 8:
            dirnames[:] = []
            continue
        for d in dirnames:
            if d == cid or cid in d:
                found.append(os.path.join(dirpath, d))
    return found


def leftover_mounts(marker):
    with open("/proc/self/mountinfo") as f:
        return [l for l in f if marker in l]


@pytest.fixture
def vse(tmp_path):
    v = Vse(tmp_path / "state")
    yield v
    v.cleanup()
    problems = []
    if v.accepted_configs:
        validator = _schema_validator()
        for path, text in v.accepted_configs:
            errs = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
                    for e in validator.iter_errors(json.loads(text))]
            if errs:
                problems.append(f"vse accepted {path} but config.schema.json rejects it: "
                                f"{errs[:3]}")
    for cid in v.ids:
        cg = leftover_cgroups(cid)
        if cg:
            problems.append(f"cgroups left for {cid}: {cg}")
    mounts = leftover_mounts(str(tmp_path))
    if mounts:
        problems.append(f"mounts left under {tmp_path}: {mounts}")
    assert not problems, "; ".join(problems)
