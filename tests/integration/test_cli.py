"""The command line: runc-compatible flags, messages, exit codes, the --log file and the output
formats that containerd and scripts parse."""
import datetime
import json
import os
import re
import subprocess
import time

import pytest

from conftest import VSE_BIN

NOT_EXIST = "container does not exist"


def parse_rfc3339(ts):
    """RFC 3339 with optional fractional seconds (up to nanoseconds) and a Z or +hh:mm zone."""
    m = re.fullmatch(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)", ts)
    assert m, f"not RFC 3339: {ts!r}"
    return datetime.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S")


# ---- version, help, usage errors ----

@pytest.mark.parametrize("flag", ["--version", "-v"])
def test_version_format(vse, flag):
    r = vse(flag, root=False, check=True)
    lines = r.stdout.splitlines()
    assert lines[0] == "vse version 0.1.0"
    assert lines[1] == "spec: 1.3.0"
    assert re.fullmatch(r"libseccomp: \d+\.\d+\.\d+", lines[2]), lines


@pytest.mark.parametrize("args", [["--help"], ["-h"], [], ["help"]])
def test_help_lists_commands(vse, args):
    r = vse(*args, root=False, check=True)
    for cmd in ("create", "start", "run", "state", "kill", "delete", "exec", "list", "ps",
                "pause", "resume", "update", "events", "features", "spec"):
        assert re.search(rf"^\s+{cmd}\s", r.stdout, re.M), f"{cmd} missing from help"
    assert "--root" in r.stdout and "--log-format" in r.stdout


@pytest.mark.parametrize("args", [["kill", "--help"], ["help", "kill"], ["kill", "-h"]])
def test_command_help(vse, args):
    r = vse(*args, check=True)
    assert "Usage: vse kill" in r.stdout
    assert "--all, -a" in r.stdout


def test_unknown_command(vse):
    r = vse("frobnicate")
    assert r.returncode == 1
    assert "frobnicate" in r.stderr


@pytest.mark.parametrize("args", [["--bogus", "list"], ["list", "--bogus"],
                                  ["delete", "--bogus", "x"]])
def test_unknown_flag(vse, args):
    r = vse(*args)
    assert r.returncode == 1
    assert "flag provided but not defined: -bogus" in r.stderr


@pytest.mark.parametrize("args,msg", [
    (["kill"], "requires a minimum of 1"),
    (["kill", "a", "KILL", "extra"], "requires a maximum of 2"),
    (["state"], "requires exactly 1"),
    (["create", "--bundle"], "flag needs an argument"),
    (["list", "--format", "yaml"], "yaml"),
    (["--log-format", "xml", "list"], "xml"),
])
def test_usage_errors(vse, args, msg):
    r = vse(*args)
    assert r.returncode == 1
    assert msg in r.stderr


def test_runc_globals_accepted(vse):
    r = vse("--criu", "/usr/sbin/criu", "--rootless", "false", "--debug", "list", check=True)
    assert r.stdout.startswith("ID")


# ---- spec ----

def test_spec_writes_config_and_refuses_to_overwrite(vse, tmp_path):
    d = tmp_path / "b"
    d.mkdir()
    vse("spec", "--bundle", d, check=True)
    path = d / "config.json"
    cfg = json.loads(path.read_text())
    assert cfg["ociVersion"].startswith("1.")
    assert cfg["process"]["args"] and cfg["root"]["path"] == "rootfs"
    path.write_text('{"mine": true}')
    for args in (["spec", "-b", str(d)], ["spec", f"--bundle={d}"]):
        r = vse(*args)
        assert r.returncode == 1
        assert "File config.json exists. Remove it first" in r.stderr
    assert json.loads(path.read_text()) == {"mine": True}


def test_spec_default_bundle_is_cwd_and_rootless(vse, tmp_path):
    vse("spec", "--rootless", check=True, cwd=tmp_path)
    cfg = json.loads((tmp_path / "config.json").read_text())
    types = [ns["type"] for ns in cfg["linux"]["namespaces"]]
    assert "user" in types
    assert cfg["linux"].get("uidMappings")


def test_spec_missing_bundle_dir(vse, tmp_path):
    r = vse("spec", "-b", tmp_path / "nope")
    assert r.returncode == 1
    assert str(tmp_path / "nope") in r.stderr


# ---- unknown containers, the log file ----

@pytest.mark.parametrize("args", [["state"], ["kill"], ["delete"], ["start"], ["pause"], ["resume"], ["ps"],
                                  ["events", "--stats"], ["exec"], ["update", "--memory", "1g"]])
def test_unknown_container(vse, args):
    cid = vse.new_id()
    extra = ["true"] if args == ["exec"] else []
    r = vse(*args, cid, *extra)
    assert r.returncode == 1, r
    assert NOT_EXIST in r.stderr


def test_force_delete_of_unknown_container_succeeds(vse):
    # runc and crun answer 0 here, and containerd's shim and conmon rely on it.
    for flag in ("--force", "-f"):
        r = vse("delete", flag, vse.new_id())
        assert r.returncode == 0 and r.stderr == "", r


def test_log_json_lines(vse, tmp_path):
    log = tmp_path / "log.json"
    cid = vse.new_id()
    for form in (["--log-format=json"], ["--log-format", "json"]):
        r = vse("--log", log, *form, "state", cid)
        assert r.returncode == 1
        assert r.stderr.strip() == NOT_EXIST  # the plain message on stderr, as runc prints it
    lines = log.read_text().splitlines()
    assert len(lines) >= 2
    for line in lines:
        entry = json.loads(line)
        assert set(entry) >= {"level", "msg", "time"}
        parse_rfc3339(entry["time"])
    last = json.loads(lines[-1])
    assert last["level"] == "error" and last["msg"] == NOT_EXIST


def test_log_text_format(vse, tmp_path):
    log = tmp_path / "log.txt"
    r = vse("--log", log, "kill", vse.new_id(), "KILL")
    assert r.returncode == 1
    line = log.read_text().splitlines()[-1]
    m = re.fullmatch(r'time="([^"]+)" level=error msg="(.*)"', line)
    assert m, line
    parse_rfc3339(m.group(1))
    assert m.group(2) == NOT_EXIST


def test_log_json_escapes_and_stderr_default(vse):
    # Without --log the formatted line goes to stderr (runc's default log is stderr).
    r = vse("--log-format", "json", "state", 'bad"id')
    assert r.returncode == 1
    entry = json.loads(r.stderr.strip().splitlines()[-1])
    assert entry["level"] == "error" and entry["msg"]


def test_debug_logs_to_file(vse, tmp_path):
    log = tmp_path / "debug.json"
    vse("--debug", "--log", log, "--log-format", "json", "list", check=True)
    levels = {json.loads(l)["level"] for l in log.read_text().splitlines()}
    assert "debug" in levels


# ---- list, features ----

def test_list_empty(vse):
    r = vse("list", check=True)
    assert r.stdout.split() == ["ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"]
    assert r.stdout.startswith("ID          PID         STATUS      BUNDLE      CREATED     OWNER")
    for args in (["list", "--format", "json"], ["list", "-f=json"]):
        assert json.loads(vse(*args, check=True).stdout) == []
    assert vse("list", "-q", check=True).stdout == ""


def test_features_json(vse):
    feats = json.loads(vse("features", check=True).stdout)
    assert re.fullmatch(r"1\.\d+\.\d+.*", feats["ociVersionMin"])
    assert re.fullmatch(r"1\.\d+\.\d+.*", feats["ociVersionMax"])
    assert feats["ociVersionMax"].startswith("1.3")


# ---- with containers ----

def vse_to_file(vse, *args):
    """Runs vse with its stdio on a file, for commands whose container inherits the stdio
    (create: terminal false), so pipes would stay open as long as the container lives.
    Returns (exit status, output)."""
    out = os.path.join(os.path.dirname(vse.root), "vse.out")
    with open(out, "w+") as f:
        r = subprocess.run([vse.bin, "--root", vse.root, *map(str, args)],
                           stdin=subprocess.DEVNULL, stdout=f, stderr=f, timeout=60)
        f.seek(0)
        return r.returncode, f.read()


def create_cmd(vse, *args):
    rc, out = vse_to_file(vse, "create", *args)
    assert rc == 0, f"create {args} exited {rc}: {out}"


def create(vse, bundle, *args):
    bundle.set_args(*args)
    cid = vse.new_id()
    create_cmd(vse, "--bundle", bundle.path, cid)
    return cid


def test_list_with_containers(vse, bundle, tmp_path):
    cid = create(vse, bundle, "sleep", "100")
    st = vse.state(cid)
    assert st["status"] == "created"
    table = vse("list", check=True).stdout.splitlines()
    row = [l for l in table if l.startswith(cid + " ")]
    assert row, table
    cols = row[0].split()
    assert cols[1] == str(st["pid"]) and cols[2] == "created" and cols[3] == bundle.path
    parse_rfc3339(cols[4])
    assert cols[5] == "root"
    items = json.loads(vse("list", "--format", "json", check=True).stdout)
    assert [i["id"] for i in items] == [cid]
    assert items[0]["pid"] == st["pid"] and items[0]["bundle"] == bundle.path
    assert vse("list", "--quiet", check=True).stdout == cid + "\n"
    vse("delete", "--force", cid, check=True)
    assert vse("list", "-q", check=True).stdout == ""


def test_create_flag_forms_and_pid_file(vse, bundle, tmp_path):
    pid_file = tmp_path / "pid"
    bundle.set_args("sleep", "100")
    cid = vse.new_id()
    create_cmd(vse, f"--bundle={bundle.path}", "--pid-file", pid_file, cid)
    st = vse.state(cid)
    assert int(pid_file.read_text()) == st["pid"]
    assert st["id"] == cid and st["bundle"] == bundle.path
    vse("start", cid, check=True)
    assert vse.state(cid)["status"] == "running"
    vse("kill", cid, "KILL", check=True)
    for _ in range(100):
        if vse.state(cid)["status"] == "stopped":
            break
        time.sleep(0.05)
    assert vse.state(cid)["status"] == "stopped"
    vse("delete", cid, check=True)
    r = vse("state", cid)
    assert r.returncode == 1 and NOT_EXIST in r.stderr


def test_run_exits_with_container_status(vse, bundle):
    bundle.set_args("sh", "-c", "echo out; echo err >&2; exit 3")
    cid = vse.new_id()
    r = vse("run", "-b", bundle.path, cid)
    assert r.returncode == 3, r
    assert r.stdout == "out\n" and "err" in r.stderr
    assert not os.path.exists(os.path.join(vse.root, cid)), "run without --keep must delete"


def test_run_killed_by_signal_is_128_plus_signal(vse, bundle, tmp_path):
    # A pid namespace's init ignores signals sent from inside it, so the kill comes from
    # outside: `vse kill` while `vse run` waits in the foreground.
    bundle.set_args("sleep", "100")
    cid = vse.new_id()
    with open(tmp_path / "run.out", "w") as out:
        p = subprocess.Popen([vse.bin, "--root", vse.root, "run", "--bundle", bundle.path, cid],
                             stdin=subprocess.DEVNULL, stdout=out, stderr=out)
        try:
            for _ in range(200):
                r = vse("state", cid)
                if r.returncode == 0 and json.loads(r.stdout)["status"] == "running":
                    break
                time.sleep(0.05)
            vse("kill", cid, "KILL", check=True)
            assert p.wait(timeout=30) == 128 + 9
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()


def test_run_keep(vse, bundle):
    bundle.set_args("true")
    cid = vse.new_id()
    vse("run", "--keep", "-b", bundle.path, cid, check=True)
    assert vse.state(cid)["status"] == "stopped"
    vse("delete", cid, check=True)


def test_exec_and_ps_json(vse, bundle):
    cid = create(vse, bundle, "sleep", "100")
    vse("start", cid, check=True)
    r = vse("exec", "-e", "GREETING=hi", "--cwd", "/tmp", cid, "sh", "-c",
            'echo "$GREETING $(pwd)"; exit 5')
    assert r.returncode == 5 and r.stdout == "hi /tmp\n", r
    pids = json.loads(vse("ps", "--format", "json", cid, check=True).stdout)
    assert isinstance(pids, list) and vse.state(cid)["pid"] in pids
    table = vse("ps", cid, check=True).stdout.splitlines()
    assert "PID" in table[0].split() and len(table) >= 2
    vse("delete", "-f", cid, check=True)


def test_kill_bad_signal(vse, bundle):
    cid = create(vse, bundle, "sleep", "100")
    r = vse("kill", cid, "NOSUCHSIG")
    assert r.returncode == 1 and "NOSUCHSIG" in r.stderr
    assert vse.state(cid)["status"] == "created"


def test_update_rejects_bad_size(vse, bundle):
    cid = create(vse, bundle, "sleep", "100")
    r = vse("update", "--memory", "12qb", cid)
    assert r.returncode == 1 and "--memory" in r.stderr and "12qb" in r.stderr


def test_events_rejects_bad_interval(vse):
    r = vse("events", "--interval", "soon", vse.new_id())
    assert r.returncode == 1 and "soon" in r.stderr


def test_exec_requires_args(vse):
    r = vse("exec", vse.new_id())
    assert r.returncode == 1 and "args" in r.stderr


def test_systemd_cgroup_create_refuses(vse, bundle):
    if os.path.isdir("/run/systemd/system"):
        pytest.skip("systemd is running on this host, so --systemd-cgroup may work")
    bundle.set_args("true")
    cid = vse.new_id()
    rc, out = vse_to_file(vse, "--systemd-cgroup", "create", "--bundle", bundle.path, cid)
    assert rc == 1, out
    assert "systemd" in out.lower()
    assert not os.path.exists(os.path.join(vse.root, cid)), "no state left after refusing"
    assert vse("list", "-q", check=True).stdout == ""


def test_binary_is_the_one_under_test():
    assert os.access(VSE_BIN, os.X_OK), f"VSE_BIN {VSE_BIN} is not executable"
    out = subprocess.run([VSE_BIN, "--version"], capture_output=True, text=True).stdout
    assert out.startswith("vse version")
