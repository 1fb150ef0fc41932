"""podman with vse as its OCI runtime (issue #5), side by side with runc as the control.

Every check runs for each runtime in RUNTIMES and for both image formats (an OCI image layout
archive and a `docker save` archive of the same busybox image, built by tests/oci/image.py).
Podman gets a private store and containers.conf (tests/oci/clients.py); containers go under the
cgroup parent /vse-podman-<hex>; vse keeps its default root /run/vse because podman 4.3 does
not forward --root to its cleanup `delete --force`.

Result rows and the table in docs/compatibility.md come from tests/oci/results.py.
"""
import json
import os
import shutil
import sys
import tempfile
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "oci"))

import clients  # noqa: E402
import hostobjs  # noqa: E402
import image as oci_image  # noqa: E402
import results  # noqa: E402
from conftest import VSE_BIN  # noqa: E402

RUNTIMES = clients.runtimes(VSE_BIN)
IMAGES = ["oci", "docker"]
RUNTIME_ROOTS = {"runc": "/run/runc", "vse": "/run/vse"}   # default --root of each
LOOP = "trap 'exit 0' TERM; echo ready; while :; do sleep 0.2; done"

results.describe("podman", __file__, {
    "test_run_rm": "run --rm: exit code + stdout",
    "test_image_config": "image Cmd/Env (run -i, stdin)",
    "test_run_tty": "run -t (tty)",
    "test_detached_lifecycle": "run -d, ps, logs, stop, rm",
    "test_exec": "exec (no tty)",
    "test_exec_tty": "exec -t (tty)",
    "test_kill_signal": "kill -s USR1 (trap, exit code)",
    "test_pause_unpause": "pause / unpause",
    "test_resources": "--memory --pids-limit --cpus",
    "test_read_only": "--read-only",
    "test_user": "--user",
    "test_capabilities": "--cap-drop all --cap-add",
    "test_no_new_privileges": "--security-opt no-new-privileges",
    "test_volume": "-v hostdir:/data",
    "test_top": "podman top",
    "test_stats": "podman stats --no-stream",
    "test_restart_stopped": "start a stopped container again",
    "test_missing_executable": "run IMG /nonexistent -> 127",
    "test_not_executable": "run IMG /etc/passwd -> 126",
})


@pytest.fixture(scope="session", autouse=True)
def _compat_table(request):
    results.install(request.config)


@pytest.fixture(scope="session")
def images():
    d = tempfile.mkdtemp(prefix="vse-img-")
    try:
        yield oci_image.Images(d)
    finally:
        shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="session")
def podman_env(images):
    if shutil.which("podman") is None:
        pytest.skip("podman is not installed on this host (install tests/oci/packages.txt)")
    if not any(os.path.exists(p) for p in clients.CONMON_PATHS):
        pytest.skip("conmon is not installed on this host (install tests/oci/packages.txt)")
    p = clients.Podman(RUNTIMES)
    try:
        p.setup(images)
        yield p
    finally:
        problems = p.teardown()
        assert not problems, "podman teardown: " + "; ".join(problems)


runtime = clients.runtime_fixture(RUNTIMES)


@pytest.fixture(params=IMAGES)
def img(request, podman_env):
    return podman_env.images[request.param]


class PodmanCase:
    """One test's view: runs podman with the runtime under test; removes its containers and
    checks that no container cgroup is left under our parent."""

    def __init__(self, env, runtime):
        self.env = env
        self.runtime = runtime

    def __call__(self, *args, **kw):
        return self.env(*args, runtime=self.runtime, **kw)

    def run(self, *args, **kw):
        return self.env.run(self.runtime, *args, **kw)

    def name(self):
        return self.env.new_name()

    def detached(self, img, *args, cmd=("sh", "-c", LOOP)):
        name = self.name()
        r = self.run("-d", "--name", name, *args, img, *cmd)
        assert r.returncode == 0, f"podman run -d: rc={r.returncode} {r.stderr}"
        self.wait_log(name, "ready") if cmd and cmd[-1] == LOOP else None
        return name

    def wait_log(self, name, text, timeout=10):
        deadline = time.time() + timeout
        out = ""
        while time.time() < deadline:
            out = self("logs", name).stdout
            if text in out:
                return out
            time.sleep(0.05)
        raise AssertionError(f"{name}: {text!r} not in logs after {timeout}s: {out!r}")

    def inspect(self, name, fmt):
        r = self("inspect", "--format", fmt, name)
        assert r.returncode == 0, r.stderr
        return r.stdout.strip()

    def pid(self, name):
        pid = int(self.inspect(name, "{{.State.Pid}}"))
        assert pid > 0, f"{name} has no host pid"
        return pid

    def cleanup(self):
        names = [n for n in self.env.names]
        ids = []
        if names:
            r = self("ps", "-a", "--no-trunc", "--format", "{{.ID}} {{.Names}}")
            ids = [l.split()[0] for l in r.stdout.splitlines()
                   if len(l.split()) == 2 and l.split()[1] in names]
            self("rm", "--force", "--time", "0", *names, timeout=120)
            self.env.names.clear()
        left = []
        # the runtime's own state: podman uses the runtime's default root
        root = RUNTIME_ROOTS.get(self.runtime)
        for cid in ids:
            if root and os.path.exists(os.path.join(root, cid)):
                left.append(os.path.join(root, cid))
                clients.run([RUNTIMES[self.runtime], "delete", "--force", cid])
        for top in hostobjs.cgroup_trees(self.env.cgroup_parent):
            left += [os.path.join(top, x) for x in os.listdir(top) if x.startswith("libpod-")]
        if left:
            hostobjs.remove_cgroup_tree(self.env.cgroup_parent)
        return left


@pytest.fixture
def pm(podman_env, runtime):
    case = PodmanCase(podman_env, runtime)
    yield case
    left = case.cleanup()
    assert not left, f"container state or cgroups left after podman rm ({runtime}): {left}"


ok = clients.ok


def test_run_rm(pm, img):
    r = pm.run("--rm", img, "sh", "-c", "echo hello from $(hostname); exit 7")
    assert r.returncode == 7, f"rc={r.returncode} stderr={r.stderr}"
    assert "hello from" in r.stdout, r.stdout + r.stderr


def test_image_config(pm, img):
    r = pm.run("--rm", "-i", img, input="echo $PATH; echo cmd-ok\n")
    ok(r, "podman run -i (image Cmd)")
    assert "cmd-ok" in r.stdout
    assert "/usr/bin" in r.stdout and "/bin" in r.stdout


def test_run_tty(pm, img):
    r = pm.run("--rm", "-t", img, "sh", "-c", "tty; [ -t 1 ] && echo is-a-tty", tty=True)
    ok(r, "podman run -t")
    assert "/dev/pts/" in r.stdout and "is-a-tty" in r.stdout, r.stdout


def test_detached_lifecycle(pm, img):
    name = pm.detached(img)
    ps = ok(pm("ps", "--format", "{{.Names}} {{.Status}}"), "podman ps").stdout
    assert any(line.startswith(name + " Up") for line in ps.splitlines()), ps
    assert "ready" in ok(pm("logs", name), "podman logs").stdout
    ok(pm("stop", "--time", "10", name), "podman stop")
    assert pm.inspect(name, "{{.State.Status}}") == "exited"
    assert pm.inspect(name, "{{.State.ExitCode}}") == "0"
    ok(pm("rm", name), "podman rm")
    pm.env.names.discard(name)
    assert name not in pm("ps", "-a", "--format", "{{.Names}}").stdout


def test_exec(pm, img):
    name = pm.detached(img)
    r = ok(pm("exec", name, "sh", "-c", "echo $((6*7)); [ -t 1 ] || echo no-tty"), "exec")
    assert r.stdout.split() == ["42", "no-tty"], r.stdout
    r = pm("exec", name, "sh", "-c", "exit 3")
    assert r.returncode == 3, f"exec exit code: {r.returncode} {r.stderr}"
    r = ok(pm("exec", "--user", "65534", "--workdir", "/tmp", "--env", "VSE_X=1", name,
              "sh", "-c", "id -u; pwd; echo $VSE_X"), "exec --user --workdir --env")
    assert r.stdout.split() == ["65534", "/tmp", "1"], r.stdout


def test_exec_tty(pm, img):
    name = pm.detached(img)
    r = pm("exec", "-t", name, "sh", "-c", "tty; [ -t 0 ] && echo is-a-tty", tty=True)
    ok(r, "podman exec -t")
    assert "/dev/pts/" in r.stdout and "is-a-tty" in r.stdout, r.stdout


def test_kill_signal(pm, img):
    name = pm.detached(img, cmd=("sh", "-c", "trap 'exit 42' USR1; echo ready; "
                                 "while :; do sleep 0.1; done"))
    pm.wait_log(name, "ready")
    ok(pm("kill", "--signal", "USR1", name), "podman kill -s USR1")
    r = ok(pm("wait", name, timeout=30), "podman wait")
    assert r.stdout.strip() == "42", f"exit code after USR1: {r.stdout!r}"


def test_pause_unpause(pm, img):
    name = pm.detached(img)
    pid = pm.pid(name)
    ok(pm("pause", name), "podman pause")
    assert pm.inspect(name, "{{.State.Status}}") == "paused"
    assert hostobjs.cgroup_file(pid, "freezer", "freezer.state") == "FROZEN"
    ok(pm("unpause", name), "podman unpause")
    assert pm.inspect(name, "{{.State.Status}}") == "running"
    assert hostobjs.cgroup_file(pid, "freezer", "freezer.state") == "THAWED"
    assert ok(pm("exec", name, "echo", "alive"), "exec after unpause").stdout.strip() == "alive"


def test_resources(pm, img):
    name = pm.detached(img, "--memory", "64m", "--pids-limit", "50", "--cpus", "0.5")
    pid = pm.pid(name)
    cg = hostobjs.proc_cgroups(pid)
    assert pm.env.cgroup_parent in cg.get("memory", ""), f"cgroup of {pid}: {cg}"
    assert hostobjs.cgroup_file(pid, "memory", "memory.limit_in_bytes") == str(64 << 20)
    assert hostobjs.cgroup_file(pid, "pids", "pids.max") == "50"
    quota = int(hostobjs.cgroup_file(pid, "cpu", "cpu.cfs_quota_us"))
    period = int(hostobjs.cgroup_file(pid, "cpu", "cpu.cfs_period_us"))
    assert quota * 2 == period, f"cpu quota {quota} / period {period} is not 0.5"


def test_read_only(pm, img):
    r = pm.run("--rm", "--read-only", img, "sh", "-c",
               "touch /vse-ro 2>&1; echo rc=$?; touch /tmp/ok && echo tmp-writable")
    ok(r, "podman run --read-only")
    assert "Read-only file system" in r.stdout and "rc=1" in r.stdout, r.stdout
    assert "tmp-writable" in r.stdout, r.stdout


def test_user(pm, img):
    r = ok(pm.run("--rm", "--user", "65534:65534", img, "sh", "-c", "id -u; id -g"),
           "--user 65534:65534")
    assert r.stdout.split() == ["65534", "65534"], r.stdout
    r = ok(pm.run("--rm", "--user", "daemon", img, "id", "-u"), "--user daemon")
    assert r.stdout.strip() == "1", r.stdout


def test_capabilities(pm, img):
    r = ok(pm.run("--rm", "--cap-drop", "all", "--cap-add", "NET_ADMIN", img,
                  "grep", "-E", "^Cap(Eff|Bnd)", "/proc/1/status"), "--cap-drop/--cap-add")
    caps = dict(line.split(":") for line in r.stdout.splitlines())
    assert int(caps["CapEff"], 16) == 1 << 12, r.stdout
    assert int(caps["CapBnd"], 16) == 1 << 12, r.stdout
    r = ok(pm.run("--rm", "--cap-drop", "CHOWN", img, "grep", "^CapEff", "/proc/1/status"),
           "--cap-drop CHOWN")
    eff = int(r.stdout.split(":")[1], 16)
    assert not eff & 1 and eff & (1 << 5), f"CHOWN must be gone, KILL kept: {eff:#x}"


def test_no_new_privileges(pm, img):
    r = ok(pm.run("--rm", "--security-opt", "no-new-privileges", img,
                  "grep", "^NoNewPrivs", "/proc/1/status"), "no-new-privileges")
    assert r.stdout.split() == ["NoNewPrivs:", "1"], r.stdout
    r = ok(pm.run("--rm", img, "grep", "^NoNewPrivs", "/proc/1/status"), "default")
    assert r.stdout.split() == ["NoNewPrivs:", "0"], r.stdout


def test_volume(pm, img, tmp_path):
    host = tmp_path / "vse-vol"
    host.mkdir()
    (host / "in").write_text("from-host\n")
    r = ok(pm.run("--rm", "-v", f"{host}:/data", img, "sh", "-c",
                  "cat /data/in; echo from-container > /data/out"), "-v hostdir:/data")
    assert "from-host" in r.stdout
    assert (host / "out").read_text() == "from-container\n"
    r = pm.run("--rm", "-v", f"{host}:/data:ro", img, "sh", "-c", "echo x > /data/ro")
    assert r.returncode != 0 and not (host / "ro").exists(), "ro volume was writable"


def test_top(pm, img):
    name = pm.detached(img, cmd=("sleep", "1000"))
    r = ok(pm("top", name), "podman top")
    assert "sleep 1000" in r.stdout, r.stdout


def test_stats(pm, img):
    name = pm.detached(img, "--memory", "64m")
    r = ok(pm("stats", "--no-stream", "--format", "json", name), "podman stats")
    st = json.loads(r.stdout)[0]
    assert st["name"] == name
    assert int(st["pids"]) >= 1, st
    usage, limit = st["mem_usage"].split(" / ")
    assert usage[0].isdigit() and limit.startswith("67.1"), st


def test_restart_stopped(pm, img):
    name = pm.name()
    r = pm.run("--name", name, img, "sh", "-c", "echo ran-once")
    ok(r, "podman run")
    assert "ran-once" in r.stdout
    r = ok(pm("start", "--attach", name), "podman start (again)")
    assert "ran-once" in r.stdout
    assert pm("logs", name).stdout.count("ran-once") == 2
    assert pm.inspect(name, "{{.State.ExitCode}}") == "0"
    name2 = pm.detached(img)
    ok(pm("stop", "--time", "10", name2), "podman stop")
    ok(pm("start", name2), "podman start of a stopped detached container")
    assert pm.inspect(name2, "{{.State.Status}}") == "running"
    assert ok(pm("exec", name2, "echo", "again"), "exec").stdout.strip() == "again"


def test_missing_executable(pm, img):
    r = pm.run("--rm", img, "/nonexistent")
    assert r.returncode == 127, f"rc={r.returncode} (runc gives 127) stderr={r.stderr}"
    assert "/nonexistent" in r.stderr, r.stderr


def test_not_executable(pm, img):
    r = pm.run("--rm", img, "/etc/passwd")
    assert r.returncode == 126, f"rc={r.returncode} (runc gives 126) stderr={r.stderr}"
    assert "/etc/passwd" in r.stderr or "permission denied" in r.stderr.lower(), r.stderr
