"""Private podman and containerd set-ups that use a given OCI runtime binary.

Podman: a private store (--root/--runroot/--tmpdir) and containers.conf (CONTAINERS_CONF) and
storage.conf (CONTAINERS_STORAGE_CONF) under /tmp/vse-podman-<hex>; every runtime to test is
named in [engine.runtimes] and picked per command with `podman --runtime <name>`. Containers
go under the cgroup parent /vse-podman-<hex> (podman puts conmon in <parent>/conmon), so the
host's libpod_parent is never touched.

Containerd: a private daemon (`containerd --config`) with root, state and every socket under
/tmp/vse-ctrd-<hex>, the CRI plugin disabled, a namespace vse-<hex> (whose name is also the
parent cgroup of its tasks), and `ctr run --runc-binary <runtime> --runc-root <dir>`.

Both tear down everything they made, and report what they could not remove.
"""
import hashlib
import os
import shlex
import shutil
import subprocess
import tempfile
import time
import uuid

import hostobjs

CONMON_PATHS = ["/usr/bin/conmon", "/usr/libexec/podman/conmon"]


def run(cmd, timeout=60, env=None, input=None, check=False):
    """subprocess.run that turns a timeout into rc 124 with a message (a hung runtime must
    fail one check, not abort the clean-up)."""
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env,
                           input=input, stdin=subprocess.DEVNULL if input is None else None)
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode(errors="replace") if isinstance(e.stdout, bytes) else e.stdout
        err = e.stderr.decode(errors="replace") if isinstance(e.stderr, bytes) else e.stderr
        r = subprocess.CompletedProcess(cmd, 124, out or "",
                                        (err or "") + f"\n[timed out after {timeout}s]")
    if check and r.returncode != 0:
        raise AssertionError(f"{shlex.join(cmd)} exited {r.returncode}\n"
                             f"stdout: {r.stdout}\nstderr: {r.stderr}")
    return r


def with_tty(cmd, timeout=60, env=None):
    """Run `cmd` with a pseudo-terminal as its stdin/stdout (util-linux script)."""
    script = shutil.which("script")
    if script is None:
        raise RuntimeError("script (util-linux/bsdutils) is not installed")
    r = run([script, "-qec", shlex.join(cmd), "/dev/null"], timeout=timeout, env=env)
    r.stdout = r.stdout.replace("\r\n", "\n")
    return r


def runtimes(vse_bin):
    """The runtimes the client checks compare: runc (Debian's) and the vse under test."""
    return {"runc": shutil.which("runc") or "/usr/sbin/runc", "vse": os.path.abspath(vse_bin)}


def runtime_fixture(paths):
    """A pytest fixture `runtime` giving each name of `paths` in turn; a test fails when that
    runtime is not an executable."""
    import pytest

    @pytest.fixture(params=list(paths))
    def runtime(request):
        name = request.param
        if not os.access(paths[name], os.X_OK):
            pytest.fail(f"runtime {name}: {paths[name]} is not an executable "
                        "(set VSE_BIN or build vse)")
        return name
    return runtime


def ok(r, what):
    """Asserts a client command succeeded, its output in the message; returns r."""
    assert r.returncode == 0, f"{what}: rc={r.returncode}\nstdout: {r.stdout}\nstderr: {r.stderr}"
    return r


def short_id():
    return uuid.uuid4().hex[:10]


class Podman:
    def __init__(self, runtimes):
        """runtimes: {name: path of the runtime binary}."""
        self.podman = shutil.which("podman")
        self.suffix = short_id()
        self.dir = tempfile.mkdtemp(prefix=f"vse-podman-{self.suffix}-")
        self.cgroup_parent = f"/vse-podman-{self.suffix}"
        self.runtimes = dict(runtimes)
        for d in ("root", "runroot", "tmp", "cni", "volumes"):
            os.makedirs(os.path.join(self.dir, d))
        self.driver = "overlay"
        self._write_conf()
        self.env = dict(os.environ,
                        CONTAINERS_CONF=os.path.join(self.dir, "containers.conf"),
                        CONTAINERS_STORAGE_CONF=os.path.join(self.dir, "storage.conf"),
                        CONTAINERS_REGISTRIES_CONF=os.path.join(self.dir, "registries.conf"))
        self.names = set()
        self.images = {}

    def _write_conf(self):
        d = self.dir
        runtimes = "\n".join(f'{name} = ["{path}"]' for name, path in self.runtimes.items())
        supports_json = sorted(set(["crun", "runc", "vse"]) | set(self.runtimes))
        conmon = [p for p in CONMON_PATHS if os.path.exists(p)]
        with open(os.path.join(d, "containers.conf"), "w") as f:
            f.write(f"""\
[containers]
# root here lacks CAP_SYS_RESOURCE: podman's default ulimits (nofile 1048576) cannot be set
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
netns = "none"
[network]
network_backend = "cni"
network_config_dir = "{d}/cni"
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "{d}/events.log"
runtime = "{next(iter(self.runtimes))}"
runtime_supports_json = {list(supports_json)!r}
conmon_path = {conmon!r}
static_dir = "{d}/root/libpod"
volume_path = "{d}/volumes"
tmp_dir = "{d}/tmp"
[engine.runtimes]
{runtimes}
""".replace("'", '"'))
        with open(os.path.join(d, "storage.conf"), "w") as f:
            f.write(f'[storage]\ndriver = "{self.driver}"\nrunroot = "{d}/runroot"\n'
                    f'graphroot = "{d}/root"\n')
        with open(os.path.join(d, "registries.conf"), "w") as f:
            f.write("unqualified-search-registries = []\n")

    def base(self, runtime=None):
        cmd = [self.podman, "--root", f"{self.dir}/root", "--runroot", f"{self.dir}/runroot",
               "--tmpdir", f"{self.dir}/tmp", "--cgroup-manager", "cgroupfs",
               "--storage-driver", self.driver, "--events-backend", "file"]
        if runtime:
            cmd += ["--runtime", runtime]
        return cmd

    def __call__(self, *args, runtime=None, timeout=30, check=False, tty=False, input=None):
        cmd = self.base(runtime) + [str(a) for a in args]
        if tty:
            return with_tty(cmd, timeout=timeout, env=self.env)
        return run(cmd, timeout=timeout, env=self.env, input=input, check=check)

    def new_name(self):
        name = f"vse-{short_id()}"
        self.names.add(name)
        return name

    def create_flags(self):
        """Flags every run/create gets: our cgroup parent, no network."""
        return ["--cgroup-parent", self.cgroup_parent, "--network", "none"]

    def run(self, runtime, *args, **kw):
        return self("run", *self.create_flags(), *args, runtime=runtime, **kw)

    def setup(self, images):
        r = self("info", "--format", "{{.Store.GraphDriverName}}")
        if r.returncode != 0 and self.driver == "overlay":
            self.driver = "vfs"
            self._write_conf()
            r = self("info", "--format", "{{.Store.GraphDriverName}}")
        if r.returncode != 0:
            raise RuntimeError(f"podman info failed: {r.stderr}")
        for kind in ("oci", "docker"):
            r = self("load", "-i", images.archive(kind), check=True)
            self.images[kind] = images.ref(kind)
            assert images.ref(kind) in r.stdout + r.stderr, r.stdout + r.stderr

    def teardown(self):
        problems = []
        if self.podman:
            self("rm", "--all", "--force", "--time", "0", timeout=120)
            self("rmi", "--all", "--force", timeout=120)
        # conmon and container processes that still name our store
        stray = hostobjs.pids_mentioning(self.dir)
        if stray:
            problems.append(f"processes left: {stray}")
            hostobjs.kill_pids([p for p, _ in stray], sig=9)
        left = hostobjs.unmount_under(self.dir)
        if left:
            problems.append(f"mounts left under {self.dir}: {left}")
        cg = hostobjs.cgroup_trees(self.cgroup_parent)
        leftover = [c for c in cg if any(os.path.basename(x).startswith("libpod-")
                                         for x in os.listdir(c))]
        if leftover:
            problems.append(f"container cgroups left: {leftover}")
        left = hostobjs.remove_cgroup_tree(self.cgroup_parent)
        if left:
            problems.append(f"cgroups not removable: {left}")
        shutil.rmtree(self.dir, ignore_errors=True)
        return problems


class Containerd:
    def __init__(self):
        self.containerd = shutil.which("containerd")
        self.ctr_bin = shutil.which("ctr")
        self.suffix = short_id()
        # unix socket paths must stay short (108 bytes)
        self.dir = tempfile.mkdtemp(prefix=f"vse-ctrd-{self.suffix}-")
        self.sock = os.path.join(self.dir, "c.sock")
        self.namespace = f"vse-{self.suffix}"
        self.fifo_dir = os.path.join(self.dir, "fifo")
        os.makedirs(self.fifo_dir)
        self.proc = None
        self.log = None
        self.ids = set()
        self.runtime_roots = set()
        self.shim_dir_existed = os.path.exists("/run/containerd/s")
        self.run_dir_existed = os.path.exists("/run/containerd")
        self.fifo_dir_existed = os.path.exists("/run/containerd/fifo")

    def start(self):
        d = self.dir
        with open(os.path.join(d, "config.toml"), "w") as f:
            f.write(f"""\
version = 2
root = "{d}/root"
state = "{d}/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "{self.sock}"
[ttrpc]
  address = "{self.sock}.ttrpc"
[debug]
  address = "{d}/debug.sock"
""")
        self.log = open(os.path.join(d, "containerd.log"), "w")
        self.proc = subprocess.Popen([self.containerd, "--config", f"{d}/config.toml"],
                                     stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        deadline = time.time() + 20
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("containerd exited at start: " + self.log_tail())
            if os.path.exists(self.sock) and run(self.ctr("version")).returncode == 0:
                return
            time.sleep(0.05)
        raise RuntimeError("containerd did not come up in 20 s: " + self.log_tail())

    def log_tail(self, n=20):
        try:
            with open(os.path.join(self.dir, "containerd.log")) as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""

    def ctr(self, *args):
        return [self.ctr_bin, "-a", self.sock, "-n", self.namespace] + [str(a) for a in args]

    def __call__(self, *args, timeout=15, check=False, tty=False):
        cmd = self.ctr(*args)
        if tty:
            return with_tty(cmd, timeout=timeout)
        return run(cmd, timeout=timeout, check=check)

    def runtime_root(self, runtime):
        root = os.path.join(self.dir, "rt-" + os.path.basename(runtime))
        os.makedirs(root, exist_ok=True)
        self.runtime_roots.add(root)
        return root

    def run_flags(self, runtime_path):
        return ["--runc-binary", runtime_path, "--runc-root", self.runtime_root(runtime_path),
                "--fifo-dir", self.fifo_dir]

    def new_id(self):
        cid = f"vse-{short_id()}"
        self.ids.add(cid)
        return cid

    def import_images(self, images):
        refs = {}
        for kind in ("oci", "docker"):
            r = self("image", "import", images.archive(kind), check=True, timeout=120)
            assert images.ref(kind) in r.stdout, r.stdout + r.stderr
            refs[kind] = images.ref(kind)
        return refs

    def teardown(self):
        problems = []
        if self.proc is not None and self.proc.poll() is None:
            r = self("task", "ls", "-q")
            for tid in r.stdout.split():
                self("task", "kill", "-s", "SIGKILL", tid)
            for tid in r.stdout.split():
                for _ in range(10):
                    rc = self("task", "delete", "--force", tid, timeout=15).returncode
                    if rc in (0, 124):
                        break
                    time.sleep(0.2)
            r = self("container", "ls", "-q")
            for cid in r.stdout.split():
                self("container", "delete", cid)
            r = self("image", "ls", "-q")
            if r.stdout.split():
                self("image", "rm", *r.stdout.split())
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.log:
            self.log.close()
        stray = [(p, c) for p, c in hostobjs.pids_mentioning(self.dir)]
        if stray:
            problems.append(f"processes left (shims?): {stray}")
            hostobjs.kill_pids([p for p, _ in stray], sig=9)
        left = hostobjs.unmount_under(self.dir)
        if left:
            problems.append(f"mounts left under {self.dir}: {left}")
        cg = hostobjs.cgroup_trees(self.namespace)
        leftover = [c for c in cg if os.listdir(c) and any(
            os.path.isdir(os.path.join(c, x)) for x in os.listdir(c))]
        if leftover:
            problems.append(f"task cgroups left: {leftover}")
        left = hostobjs.remove_cgroup_tree(self.namespace)
        if left:
            problems.append(f"cgroups not removable: {left}")
        # containerd 1.6 puts shim sockets in /run/containerd/s whatever its state dir is,
        # named sha256(<grpc address>/<namespace>/<id>); a killed shim leaves its socket.
        for cid in self.ids:
            name = hashlib.sha256(f"{self.sock}/{self.namespace}/{cid}".encode()).hexdigest()
            try:
                os.unlink(os.path.join("/run/containerd/s", name))
            except OSError:
                pass
        if not self.shim_dir_existed:
            try:
                os.rmdir("/run/containerd/s")
            except OSError:
                pass
        if not self.fifo_dir_existed:   # ctr's default --fifo-dir, should a command miss ours
            try:
                os.rmdir("/run/containerd/fifo")
            except OSError:
                pass
        if not self.run_dir_existed:
            try:
                os.rmdir("/run/containerd")
            except OSError:
                pass
        shutil.rmtree(self.dir, ignore_errors=True)
        return problems
