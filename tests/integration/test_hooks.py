"""OCI hooks: each kind runs at its point of the lifecycle with the state JSON on stdin, and a
failing prestart hook fails create and leaves nothing behind."""
import json
import os
import subprocess
import time

from conftest import leftover_cgroups


def host_hook(log_dir, kind, exit_code=0):
    """A hook run in the runtime's (host) mount namespace: saves its stdin and records the
    order in which hooks ran."""
    script = (f"cat > {log_dir}/{kind}.json; echo {kind} >> {log_dir}/order; "
              f"exit {exit_code}")
    return {"path": "/bin/sh", "args": ["sh", "-c", script]}


def vse_files(vse, *args, tmp_path):
    path = tmp_path / "vse.log"
    with open(path, "ab") as log:
        r = subprocess.run([vse.bin, "--root", vse.root] + [str(a) for a in args],
                           stdin=subprocess.DEVNULL, stdout=log, stderr=log, timeout=60)
    return r.returncode, path.read_text()


def order(log_dir):
    p = os.path.join(log_dir, "order")
    return open(p).read().split() if os.path.exists(p) else []


def wait_for(pred, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.02)
    return False


def test_hooks_run_in_order_with_state(vse, bundle, tmp_path):
    logs = tmp_path / "hooks"
    logs.mkdir()
    cfg = bundle.config
    cfg["root"]["readonly"] = False
    cfg["hooks"] = {
        "prestart": [host_hook(logs, "prestart")],
        "createRuntime": [host_hook(logs, "createRuntime")],
        # createContainer runs in the container's namespaces before pivot_root: host paths
        # still resolve, the hostname is the container's once set... but only after pivot, so
        # record the mount namespace instead.
        "createContainer": [{"path": "/bin/sh", "args": [
            "sh", "-c", f"cat > {logs}/createContainer.json; echo createContainer >> "
                        f"{logs}/order; readlink /proc/self/ns/mnt > {logs}/cc_mntns"]}],
        # startContainer runs inside the container after pivot_root: paths are the rootfs's.
        "startContainer": [{"path": "/bin/sh", "args": [
            "sh", "-c", "cat > /tmp/startContainer.json; hostname > /tmp/start_hostname"]}],
        "poststart": [host_hook(logs, "poststart")],
        "poststop": [host_hook(logs, "poststop")],
    }
    bundle.set_args("sleep", "100")
    cid = vse.new_id()
    rc, out = vse_files(vse, "create", "--bundle", bundle.path, cid, tmp_path=tmp_path)
    assert rc == 0, out
    assert order(logs) == ["prestart", "createRuntime", "createContainer"]
    pid = vse.state(cid)["pid"]
    for kind in ("prestart", "createRuntime", "createContainer"):
        st = json.loads((logs / f"{kind}.json").read_text())
        assert st["id"] == cid and st["pid"] == pid, kind
        assert st["bundle"] == os.path.realpath(bundle.path)
        assert st["status"] == "creating"
    # createContainer ran in the container's mount namespace, the others in the host's.
    assert (logs / "cc_mntns").read_text().strip() != os.readlink("/proc/self/ns/mnt")
    assert (logs / "cc_mntns").read_text().strip() == os.readlink(f"/proc/{pid}/ns/mnt")

    vse("start", cid, check=True)
    assert order(logs)[-1] == "poststart"
    assert json.loads((logs / "poststart.json").read_text())["status"] == "running"
    started = os.path.join(bundle.rootfs, "tmp", "startContainer.json")
    assert wait_for(lambda: os.path.exists(os.path.join(bundle.rootfs, "tmp", "start_hostname"))
                    and os.path.getsize(started) > 0)
    assert json.loads(open(started).read())["id"] == cid
    assert open(os.path.join(bundle.rootfs, "tmp", "start_hostname")).read().strip() == "vse"

    assert not os.path.exists(logs / "poststop.json")
    vse("delete", "--force", cid, check=True)
    assert order(logs)[-1] == "poststop"
    st = json.loads((logs / "poststop.json").read_text())
    assert st["id"] == cid and st["status"] == "stopped"


def test_failing_prestart_fails_create_and_cleans_up(vse, bundle, tmp_path):
    logs = tmp_path / "hooks"
    logs.mkdir()
    bundle.config["hooks"] = {
        "prestart": [host_hook(logs, "prestart", exit_code=5)],
        "createContainer": [host_hook(logs, "createContainer")],
    }
    bundle.set_args("true")
    cid = vse.new_id()
    rc, out = vse_files(vse, "create", "--bundle", bundle.path, cid, tmp_path=tmp_path)
    assert rc != 0
    assert "hooks.prestart[0]" in out and "5" in out, out
    # Later hooks never ran; nothing of the container is left.
    assert order(logs) == ["prestart"]
    assert not os.path.exists(os.path.join(vse.root, cid))
    assert leftover_cgroups(cid) == []


def test_hook_timeout_fails_create(vse, bundle, tmp_path):
    bundle.config["hooks"] = {
        "createRuntime": [{"path": "/bin/sleep", "args": ["sleep", "30"], "timeout": 1}]}
    bundle.set_args("true")
    cid = vse.new_id()
    start = time.monotonic()
    rc, out = vse_files(vse, "create", "--bundle", bundle.path, cid, tmp_path=tmp_path)
    assert rc != 0
    assert "hooks.createRuntime[0]" in out and "timed out" in out, out
    assert time.monotonic() - start < 25
    assert not os.path.exists(os.path.join(vse.root, cid))


def test_failing_poststart_only_warns(vse, bundle, tmp_path):
    logs = tmp_path / "hooks"
    logs.mkdir()
    bundle.config["hooks"] = {"poststart": [host_hook(logs, "poststart", exit_code=1)],
                              "poststop": [host_hook(logs, "poststop")]}
    bundle.set_args("sh", "-c", "echo ran")
    r = vse("run", "--bundle", bundle.path, vse.new_id())
    assert r.returncode == 0, r.stderr
    assert "ran" in r.stdout
    assert order(logs) == ["poststart", "poststop"]
