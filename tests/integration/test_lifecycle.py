"""Container lifecycle through the real vse binary: create/start/state/kill/delete/run/list, exit
codes, errors, cleanup after a failed create, and parallel create/delete without leaks."""
import concurrent.futures
import json
import os
import signal
import subprocess
import time

from conftest import leftover_cgroups


def vse_files(vse, *args, tmp_path, name="out", timeout=60):
    """Runs vse with stdio on a file: a container inherits them, and pipes would keep the
    caller waiting until the container exits. Returns (returncode, output so far, path)."""
    path = tmp_path / f"{name}.log"
    with open(path, "ab") as log:
        r = subprocess.run([vse.bin, "--root", vse.root] + [str(a) for a in args],
                           stdin=subprocess.DEVNULL, stdout=log, stderr=log, timeout=timeout)
    return r.returncode, path.read_text(), path


def wait_for(pred, timeout=10.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def status_of(vse, cid):
    return vse.state(cid)["status"]


def processes_mentioning(cid):
    """Host processes whose command line names the container (a leaked init would)."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if cid.encode() in f.read():
                    found.append(int(pid))
        except OSError:
            pass
    return found


def test_create_start_state_kill_delete(vse, bundle, tmp_path):
    bundle.set_args("sleep", "100")
    cid = vse.new_id()
    rc, out, _ = vse_files(vse, "create", "--bundle", bundle.path, cid, tmp_path=tmp_path)
    assert rc == 0, out
    st = vse.state(cid)
    assert st["status"] == "created"
    assert st["id"] == cid
    assert st["bundle"] == os.path.realpath(bundle.path)
    assert st["rootfs"] == os.path.realpath(bundle.path) + "/rootfs"
    assert set(st) >= {"ociVersion", "id", "pid", "status", "bundle", "rootfs", "created",
                       "owner"}
    pid = st["pid"]
    assert pid > 0 and os.path.exists(f"/proc/{pid}")
    state_dir = os.path.join(vse.root, cid)
    assert os.path.exists(os.path.join(state_dir, "exec.fifo"))
    with open(os.path.join(state_dir, "config.json")) as f:
        assert json.load(f)["process"]["args"] == ["sleep", "100"]

    vse("start", cid, check=True)
    assert status_of(vse, cid) == "running"
    assert not os.path.exists(os.path.join(state_dir, "exec.fifo"))
    # The init really became the container's process.
    wait_for(lambda: open(f"/proc/{pid}/cmdline", "rb").read().startswith(b"sleep"),
             what="init to exec sleep")
    r = vse("start", cid)
    assert r.returncode != 0

    vse("kill", cid, "KILL", check=True)
    wait_for(lambda: status_of(vse, cid) == "stopped", what="stopped")
    assert vse.state(cid)["pid"] == 0
    vse("delete", cid, check=True)
    assert not os.path.exists(state_dir)
    r = vse("state", cid)
    assert r.returncode != 0 and "container does not exist" in r.stderr


def test_run_exit_codes_and_output(vse, bundle):
    bundle.set_args("sh", "-c", "echo hello from $(hostname); exit 3")
    cid = vse.new_id()
    r = vse("run", "--bundle", bundle.path, cid)
    assert r.returncode == 3, r.stderr
    assert "hello from vse" in r.stdout
    # run deletes the container once it exits.
    assert not os.path.exists(os.path.join(vse.root, cid))

    bundle.set_args("true")
    assert vse("run", "--bundle", bundle.path, vse.new_id()).returncode == 0


def test_run_killed_returns_128_plus_signal(vse, bundle):
    bundle.set_args("sleep", "100")
    cid = vse.new_id()
    p = subprocess.Popen([vse.bin, "--root", vse.root, "run", "--bundle", bundle.path, cid],
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    try:
        wait_for(lambda: os.path.exists(os.path.join(vse.root, cid, "state.json")) and
                 status_of(vse, cid) == "running", what="running")
        vse("kill", cid, "9", check=True)
        assert p.wait(timeout=20) == 128 + signal.SIGKILL
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


def test_run_forwards_signals(vse, bundle):
    bundle.set_args("sh", "-c", "trap 'exit 42' TERM; while true; do sleep 0.05; done")
    cid = vse.new_id()
    p = subprocess.Popen([vse.bin, "--root", vse.root, "run", "--bundle", bundle.path, cid],
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    try:
        wait_for(lambda: os.path.exists(os.path.join(vse.root, cid, "state.json")) and
                 status_of(vse, cid) == "running", what="running")
        time.sleep(0.2)  # let sh install its trap
        p.send_signal(signal.SIGTERM)
        assert p.wait(timeout=20) == 42
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


def test_run_detach_and_keep(vse, bundle, tmp_path):
    bundle.set_args("sleep", "100")
    cid = vse.new_id()
    rc, out, _ = vse_files(vse, "run", "-d", "--bundle", bundle.path, cid, tmp_path=tmp_path)
    assert rc == 0, out
    assert status_of(vse, cid) == "running"
    r = vse("delete", cid)
    assert r.returncode != 0
    assert f"cannot delete container {cid} that is not stopped: running" in r.stderr
    vse("delete", "--force", cid, check=True)
    assert not os.path.exists(os.path.join(vse.root, cid))

    bundle.set_args("true")
    kept = vse.new_id()
    r = vse("run", "--keep", "--bundle", bundle.path, kept)
    assert r.returncode == 0, r.stderr
    assert status_of(vse, kept) == "stopped"
    vse("delete", kept, check=True)


def test_unknown_id_errors(vse):
    for cmd in (["state"], ["start"], ["kill"], ["delete"], ["exec"]):
        args = cmd + ["vse-does-not-exist"] + (["true"] if cmd == ["exec"] else [])
        r = vse(*args)
        assert r.returncode != 0, cmd
        assert "container does not exist" in r.stderr, (cmd, r.stderr)


def test_invalid_and_duplicate_ids(vse, bundle, tmp_path):
    r = vse("create", "--bundle", bundle.path, "../escape")
    assert r.returncode != 0 and "escape" in r.stderr
    assert not os.path.exists(os.path.join(os.path.dirname(vse.root), "escape"))

    bundle.set_args("sleep", "100")
    cid = vse.new_id()
    rc, out, _ = vse_files(vse, "create", "--bundle", bundle.path, cid, tmp_path=tmp_path)
    assert rc == 0, out
    rc, out, _ = vse_files(vse, "create", "--bundle", bundle.path, cid, tmp_path=tmp_path,
                           name="dup")
    assert rc != 0
    assert f"container with id exists: {cid}" in out
    # The failed duplicate must not have damaged the first container.
    assert status_of(vse, cid) == "created"
    vse("delete", cid, check=True)  # a created container is deleted without --force
    assert processes_mentioning(cid) == []


def test_list_and_pid_file(vse, bundle, tmp_path):
    bundle.set_args("sleep", "100")
    a, b = vse.new_id(), vse.new_id()
    pid_file = tmp_path / "init.pid"
    assert vse_files(vse, "create", "--pid-file", pid_file, "--bundle", bundle.path, a,
                     tmp_path=tmp_path)[0] == 0
    assert vse_files(vse, "run", "-d", "--bundle", bundle.path, b, tmp_path=tmp_path)[0] == 0
    assert int(pid_file.read_text()) == vse.state(a)["pid"]
    r = vse("list", "--format", "json", check=True)
    listed = {c["id"]: c["status"] for c in json.loads(r.stdout)}
    assert listed == {a: "created", b: "running"}
    r = vse("list", "-q", check=True)
    assert set(r.stdout.split()) == {a, b}
    for cid in (a, b):
        vse("delete", "--force", cid, check=True)
    assert json.loads(vse("list", "--format", "json", check=True).stdout or "[]") in ([], None)


def test_failed_setup_leaves_nothing(vse, bundle, tmp_path):
    bundle.config["mounts"].append({"destination": "/vse-bad", "type": "vse-no-such-fs",
                                    "source": "none"})
    bundle.set_args("true")
    cid = vse.new_id()
    rc, out, _ = vse_files(vse, "create", "--bundle", bundle.path, cid, tmp_path=tmp_path)
    assert rc != 0
    bad_index = len(bundle.config["mounts"]) - 1
    assert f"mounts[{bad_index}]" in out, out
    assert not os.path.exists(os.path.join(vse.root, cid))
    assert leftover_cgroups(cid) == []
    assert processes_mentioning(cid) == []
    r = vse("run", "--bundle", bundle.path, cid)
    assert r.returncode != 0 and f"mounts[{bad_index}]" in r.stderr
    assert not os.path.exists(os.path.join(vse.root, cid))
    assert leftover_cgroups(cid) == []


def test_missing_executable_fails_run(vse, bundle):
    bundle.set_args("/no/such/binary")
    cid = vse.new_id()
    r = vse("run", "--bundle", bundle.path, cid)
    assert r.returncode != 0
    assert "/no/such/binary" in r.stderr
    assert not os.path.exists(os.path.join(vse.root, cid))


def test_parallel_create_delete(vse, bundle, tmp_path):
    bundle.set_args("sleep", "100")
    ids = [vse.new_id() for _ in range(20)]

    def one(cid):
        rc, out, _ = vse_files(vse, "create", "--bundle", bundle.path, cid, tmp_path=tmp_path,
                               name=cid)
        if rc != 0:
            return f"create {cid}: {out}"
        r = vse("delete", "--force", cid)
        return None if r.returncode == 0 else f"delete {cid}: {r.stderr}"

    with concurrent.futures.ThreadPoolExecutor(max_workers=20) as pool:
        errors = [e for e in pool.map(one, ids) if e]
    assert errors == []
    assert os.listdir(vse.root) == []
    for cid in ids:
        assert leftover_cgroups(cid) == []
        assert processes_mentioning(cid) == []


def test_preserve_fds(vse, bundle, tmp_path):
    data = tmp_path / "shared.txt"
    data.write_text("passed-through\n")
    bundle.set_args("sh", "-c", "cat <&3; ls /proc/self/fd")
    # The shell puts the file on fd 3 of vse, as a caller like containerd would.
    cmd = [vse.bin, "--root", vse.root, "run", "--preserve-fds", "1", "--bundle", bundle.path,
           vse.new_id()]
    r = subprocess.run(["sh", "-c", 'exec "$@" 3<"$F"', "sh"] + cmd, env={"F": str(data)},
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.split()
    assert lines[0] == "passed-through"
    # 0-2, the preserved 3, and ls's own directory fd: nothing else of vse leaks in.
    assert len([x for x in lines[1:] if x.isdigit()]) <= 5, r.stdout


def test_session_keyring_named_after_id(vse, bundle, tmp_path):
    bundle.set_args("sleep", "100")
    cid = vse.new_id()
    assert vse_files(vse, "run", "-d", "--bundle", bundle.path, cid, tmp_path=tmp_path)[0] == 0
    with open("/proc/keys") as f:
        assert any(line.rstrip().endswith(f"{cid}: empty") or f" {cid}:" in line
                   for line in f), "no keyring named after the container"
    other = vse.new_id()
    assert vse_files(vse, "run", "-d", "--no-new-keyring", "--bundle", bundle.path, other,
                     tmp_path=tmp_path)[0] == 0
    with open("/proc/keys") as f:
        assert not any(f" {other}:" in line for line in f)


def _blocking_hook(tmp_path):
    """A createRuntime hook that records its pid and blocks: it holds `vse run` mid-create
    (state dir, cgroup and init made, nothing committed) for as long as the test needs."""
    pidfile = tmp_path / "hook.pid"
    hook = tmp_path / "vse-block-hook.sh"
    hook.write_text(f"#!/bin/sh\necho $$ > {pidfile}.tmp\n/bin/mv {pidfile}.tmp {pidfile}\n"
                    "exec /bin/sleep 300\n")
    hook.chmod(0o755)
    return str(hook), pidfile


def _kill_quietly(pid):
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def test_state_creating_then_kill_9_mid_run_and_delete_cleans_up(vse, bundle, tmp_path):
    hook, pidfile = _blocking_hook(tmp_path)
    bundle.config["hooks"] = {"createRuntime": [{"path": hook}]}
    bundle.set_args("true")
    cid = vse.new_id()
    with open(tmp_path / "run.log", "wb") as log:
        p = subprocess.Popen([vse.bin, "--root", vse.root, "run", "--bundle", bundle.path, cid],
                             stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    hook_pid = None
    try:
        wait_for(pidfile.exists, timeout=20, what="the createRuntime hook")
        hook_pid = int(pidfile.read_text())
        st = vse.state(cid)  # runc reports "creating" while create is in progress
        assert st["status"] == "creating" and st["pid"] == 0, st
        assert st["bundle"] == bundle.path, st
        assert leftover_cgroups(cid), "the cgroup should exist mid-create"
        p.kill()  # SIGKILL: no cleanup code of vse runs
        p.wait(timeout=20)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        if hook_pid:
            _kill_quietly(hook_pid)
    # The creator is gone (its lock with it); the init died with its parent (PDEATHSIG).
    wait_for(lambda: processes_mentioning(cid) == [], what="the init to die")
    assert vse.state(cid)["status"] == "stopped"
    assert os.path.isdir(os.path.join(vse.root, cid))
    vse("delete", "--force", cid, check=True)
    assert not os.path.exists(os.path.join(vse.root, cid))
    assert leftover_cgroups(cid) == []
    assert "does not exist" in vse("state", cid).stderr


def test_kill_9_mid_create_plain_delete_cleans_up(vse, bundle, tmp_path):
    """The same for `create`, removed by a delete without --force (nothing ever ran)."""
    hook, pidfile = _blocking_hook(tmp_path)
    bundle.config["hooks"] = {"createRuntime": [{"path": hook}]}
    bundle.set_args("true")
    cid = vse.new_id()
    with open(tmp_path / "create.log", "wb") as log:
        p = subprocess.Popen([vse.bin, "--root", vse.root, "create", "--bundle", bundle.path,
                              cid], stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    hook_pid = None
    try:
        wait_for(pidfile.exists, timeout=20, what="the createRuntime hook")
        hook_pid = int(pidfile.read_text())
        assert vse.state(cid)["status"] == "creating"
        listed = json.loads(vse("list", "--format", "json", check=True).stdout or "[]")
        assert [c["status"] for c in listed if c["id"] == cid] == ["creating"], listed
        p.kill()
        p.wait(timeout=20)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        if hook_pid:
            _kill_quietly(hook_pid)
    wait_for(lambda: processes_mentioning(cid) == [], what="the init to die")
    vse("delete", cid, check=True)
    assert not os.path.exists(os.path.join(vse.root, cid))
    assert leftover_cgroups(cid) == []
