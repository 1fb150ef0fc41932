"""containerd (runtime io.containerd.runc.v2, through ctr) with vse as the runc binary (issue #5),
side by side with runc as the control.

A private containerd runs for the session (tests/oci/clients.py): root, state and sockets under
/tmp/vse-ctrd-<hex>, CRI disabled, namespace vse-<hex> (also the parent cgroup of the tasks).
Each runtime gets its own --runc-root. Images come from tests/oci/image.py, imported with
`ctr image import`.
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
LOOP = "trap 'exit 0' TERM; echo ready; while :; do sleep 0.2; done"

results.describe("containerd", __file__, {
    "test_run_rm": "ctr run --rm: exit code + stdout",
    "test_run_tty": "ctr run -t (tty)",
    "test_detached_lifecycle": "run -d, task ls, exec, kill, delete",
    "test_exec_tty": "task exec -t (tty)",
    "test_kill_signal": "task kill -s SIGUSR1 (trap)",
    "test_pause_resume": "task pause / resume",
    "test_metrics": "task metrics",
    "test_resources": "--memory-limit --cpus",
    "test_failing_start": "run IMG /nonexistent: error reaches ctr",
})


@pytest.fixture(scope="session", autouse=True)
def _compat_table(request):
    results.install(request.config)


@pytest.fixture(scope="session")
def ctrd():
    for b in ("containerd", "ctr", "containerd-shim-runc-v2"):
        if shutil.which(b) is None:
            pytest.skip(f"{b} is not installed on this host (install tests/oci/packages.txt)")
    d = tempfile.mkdtemp(prefix="vse-img-")
    c = clients.Containerd()
    try:
        c.start()
        c.refs = c.import_images(oci_image.Images(d))
        yield c
    finally:
        shutil.rmtree(d, ignore_errors=True)
        problems = c.teardown()
        assert not problems, "containerd teardown: " + "; ".join(problems)


runtime = clients.runtime_fixture(RUNTIMES)


class CtrCase:
    """One test's view: ctr with the runtime under test; at the end deletes its tasks and
    containers and checks that their cgroups are gone."""

    def __init__(self, env, runtime):
        self.env = env
        self.runtime = runtime
        self.path = RUNTIMES[runtime]
        self.ids = []

    def __call__(self, *args, **kw):
        return self.env(*args, **kw)

    def exec(self, *args, **kw):
        return self.env("task", "exec", "--fifo-dir", self.env.fifo_dir, *args, **kw)

    def new_id(self):
        cid = self.env.new_id()
        self.ids.append(cid)
        return cid

    def run(self, *args, **kw):
        return self.env("run", *self.env.run_flags(self.path), *args, **kw)

    def detached(self, ref, *flags, cmd=("sh", "-c", LOOP)):
        cid = self.new_id()
        r = self.env("run", "-d", *self.env.run_flags(self.path), *flags, ref, cid, *cmd)
        assert r.returncode == 0, f"ctr run -d: rc={r.returncode} {r.stderr}"
        return cid

    def status(self, cid):
        for line in self("task", "ls").stdout.splitlines()[1:]:
            f = line.split()
            if f and f[0] == cid:
                return f[2], int(f[1])
        return None, 0

    def wait_status(self, cid, want, timeout=10):
        deadline = time.time() + timeout
        st = None
        while time.time() < deadline:
            st, _ = self.status(cid)
            if st == want:
                return
            time.sleep(0.05)
        raise AssertionError(f"task {cid}: status {st}, wanted {want}")

    def cleanup(self):
        for cid in self.ids:
            if self.status(cid)[0] is not None:
                self("task", "kill", "-s", "SIGKILL", cid)
                for _ in range(10):
                    rc = self("task", "delete", "--force", cid, timeout=10).returncode
                    if rc in (0, 124):
                        break
                    time.sleep(0.2)
            self("container", "delete", cid)
        left = []
        root = os.path.join(self.env.runtime_root(self.path), self.env.namespace)
        for cid in self.ids:
            left += hostobjs.cgroup_trees(f"{self.env.namespace}/{cid}")
            if os.path.exists(os.path.join(root, cid)):
                left.append(os.path.join(root, cid))
                clients.run([self.path, "--root", root, "delete", "--force", cid])
        for cid in self.ids:
            hostobjs.remove_cgroup_tree(f"{self.env.namespace}/{cid}")
        return left


@pytest.fixture
def ctr(ctrd, runtime):
    case = CtrCase(ctrd, runtime)
    yield case
    left = case.cleanup()
    assert not left, f"task cgroups or runtime state left after delete ({runtime}): {left}"


ok = clients.ok


@pytest.mark.parametrize("image", ["oci", "docker"])
def test_run_rm(ctr, image):
    ref = ctr.env.refs[image]
    cid = ctr.new_id()
    r = ctr.run("--rm", ref, cid, "sh", "-c", "echo hello $PATH; exit 7")
    assert r.returncode == 7, f"rc={r.returncode} stderr={r.stderr}"
    assert "hello" in r.stdout and "/bin" in r.stdout, r.stdout
    assert ctr("container", "info", cid).returncode != 0, "--rm left the container"


def test_run_tty(ctr):
    cid = ctr.new_id()
    r = ctr.run("--rm", "-t", ctr.env.refs["oci"], cid, "sh", "-c",
                "tty; [ -t 0 ] && echo is-a-tty", tty=True)
    ok(r, "ctr run -t")
    assert "/dev/pts/" in r.stdout and "is-a-tty" in r.stdout, r.stdout


def test_detached_lifecycle(ctr):
    cid = ctr.detached(ctr.env.refs["oci"])
    st, pid = ctr.status(cid)
    assert st == "RUNNING" and pid > 0, f"task ls: {st} {pid}"
    r = ok(ctr.exec("--exec-id", "vse-e1", cid, "sh", "-c",
               "echo $((6*7)); cat /proc/1/cmdline | tr '\\0' ' '"), "task exec")
    assert r.stdout.splitlines()[0] == "42" and "sh -c" in r.stdout, r.stdout
    r = ctr.exec("--exec-id", "vse-e2", cid, "sh", "-c", "exit 5")
    assert r.returncode == 5, f"exec exit code {r.returncode}: {r.stderr}"
    ps = ok(ctr("task", "ps", cid), "task ps").stdout
    assert str(pid) in ps
    ok(ctr("task", "kill", "-s", "SIGKILL", cid), "task kill")
    ctr.wait_status(cid, "STOPPED")
    ok(ctr("task", "delete", cid), "task delete")
    assert ctr.status(cid)[0] is None
    ok(ctr("container", "delete", cid), "container delete")
    assert not os.path.exists(f"/proc/{pid}") or open(f"/proc/{pid}/stat").read().split()[2] == "Z"


def test_exec_tty(ctr):
    cid = ctr.detached(ctr.env.refs["oci"])
    r = ctr.exec("-t", "--exec-id", "vse-t1", cid, "sh", "-c",
            "tty; [ -t 0 ] && echo is-a-tty", tty=True)
    ok(r, "task exec -t")
    assert "/dev/pts/" in r.stdout and "is-a-tty" in r.stdout, r.stdout


def test_kill_signal(ctr):
    cid = ctr.detached(ctr.env.refs["oci"], cmd=(
        "sh", "-c", "trap 'exit 42' USR1; echo ready > /tmp/ready; while :; do sleep 0.1; done"))
    deadline = time.time() + 10
    while time.time() < deadline:
        if ctr.exec("--exec-id", "vse-r", cid, "test", "-f",
               "/tmp/ready").returncode == 0:
            break
        time.sleep(0.05)
    ok(ctr("task", "kill", "-s", "SIGUSR1", cid), "task kill -s SIGUSR1")
    ctr.wait_status(cid, "STOPPED")
    r = ok(ctr("task", "delete", cid), "task delete")
    assert "exit code 42" in r.stderr, f"exit status not 42: {r.stderr}"


def test_pause_resume(ctr):
    cid = ctr.detached(ctr.env.refs["oci"])
    _, pid = ctr.status(cid)
    ok(ctr("task", "pause", cid), "task pause")
    assert ctr.status(cid)[0] == "PAUSED"
    assert hostobjs.cgroup_file(pid, "freezer", "freezer.state") == "FROZEN"
    ok(ctr("task", "resume", cid), "task resume")
    assert ctr.status(cid)[0] == "RUNNING"
    assert hostobjs.cgroup_file(pid, "freezer", "freezer.state") == "THAWED"


def test_metrics(ctr):
    cid = ctr.detached(ctr.env.refs["oci"], "--memory-limit", str(64 << 20))
    r = ok(ctr("task", "metrics", "--format", "json", cid), "task metrics")
    m = json.loads(r.stdout)
    assert m["pids"]["current"] >= 1, m
    assert m["memory"]["usage"]["usage"] > 0, m
    assert m["memory"]["usage"]["limit"] == 64 << 20, m["memory"]["usage"]
    assert m["cpu"]["usage"]["total"] > 0, m["cpu"]
    table = ok(ctr("task", "metrics", cid), "task metrics (table)").stdout
    assert "pids.current" in table or "pids" in table, table


def test_resources(ctr):
    cid = ctr.detached(ctr.env.refs["oci"], "--memory-limit", str(64 << 20), "--cpus", "0.5")
    _, pid = ctr.status(cid)
    cg = hostobjs.proc_cgroups(pid)
    assert cg.get("memory") == f"/{ctr.env.namespace}/{cid}", cg
    assert hostobjs.cgroup_file(pid, "memory", "memory.limit_in_bytes") == str(64 << 20)
    quota = int(hostobjs.cgroup_file(pid, "cpu", "cpu.cfs_quota_us"))
    period = int(hostobjs.cgroup_file(pid, "cpu", "cpu.cfs_period_us"))
    assert quota * 2 == period, f"cpu quota {quota} / period {period} is not 0.5"


def test_failing_start(ctr):
    cid = ctr.new_id()
    r = ctr.run("--rm", ctr.env.refs["oci"], cid, "/nonexistent")
    assert r.returncode != 0, "a missing executable must fail"
    assert "/nonexistent" in r.stderr, f"error text does not reach ctr: {r.stderr}"
    assert ctr.status(cid)[0] is None, "a task was left after the failed start"
