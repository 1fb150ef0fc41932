"""exec: argv and --process, env/cwd/user overrides, exit codes, pid files, and a terminal handed
over a console socket."""
import array
import json
import os
import select
import socket
import subprocess
import threading
import time

import pytest


def vse_files(vse, *args, tmp_path):
    path = tmp_path / "vse.log"
    with open(path, "ab") as log:
        r = subprocess.run([vse.bin, "--root", vse.root] + [str(a) for a in args],
                           stdin=subprocess.DEVNULL, stdout=log, stderr=log, timeout=60)
    return r.returncode, path.read_text()


@pytest.fixture
def running(vse, bundle, tmp_path):
    """A running container (sleep) to exec into."""
    bundle.config["hostname"] = "vse-exec"
    bundle.set_args("sleep", "1000")
    cid = vse.new_id()
    rc, out = vse_files(vse, "run", "-d", "--bundle", bundle.path, cid, tmp_path=tmp_path)
    assert rc == 0, out
    return cid


def test_exec_argv_sees_the_container(vse, running):
    r = vse("exec", running, "sh", "-c", "hostname; cat /proc/1/cmdline | tr '\\0' ' '; "
            "echo; stat -L -c %i /proc/self/ns/net /proc/1/ns/net")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "vse-exec"
    assert lines[1].split() == ["sleep", "1000"]
    assert lines[2] == lines[3]  # same network namespace as the init


def test_exec_exit_code(vse, running):
    assert vse("exec", running, "sh", "-c", "exit 7").returncode == 7
    assert vse("exec", running, "true").returncode == 0
    r = vse("exec", running, "/no/such/binary")
    assert r.returncode != 0 and "/no/such/binary" in r.stderr


def test_exec_env_cwd_user(vse, running):
    r = vse("exec", "--env", "FOO=bar", "--env", "PATH=/bin", "--cwd", "/tmp", "--user",
            "65534:65534", running, "sh", "-c", "echo $FOO $PATH; pwd; id -u; id -g")
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["bar", "/bin", "/tmp", "65534", "65534"]


def test_exec_process_file(vse, running, tmp_path):
    proc = {"args": ["sh", "-c", "echo $GREETING; pwd; id -u"], "cwd": "/dev",
            "env": ["PATH=/bin", "GREETING=hi-from-process-json"],
            "user": {"uid": 1000, "gid": 1000}}
    path = tmp_path / "process.json"
    path.write_text(json.dumps(proc))
    r = vse("exec", "--process", path, running)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["hi-from-process-json", "/dev", "1000"]


def test_exec_cpu_affinity(vse, running, tmp_path):
    """process.execCPUAffinity: `final` is the affinity the exec'd process runs with (after the
    cgroup move, which on v1 resets affinity to the cpuset); a bad CPU names the field."""
    if (os.cpu_count() or 1) < 2:
        pytest.skip("needs 2 CPUs to tell affinities apart (host has 1)")
    proc = {"args": ["sh", "-c", "grep Cpus_allowed_list /proc/self/status"], "cwd": "/",
            "env": ["PATH=/bin"], "user": {"uid": 0, "gid": 0},
            "execCPUAffinity": {"initial": "0", "final": "1"}}
    path = tmp_path / "affinity.json"
    path.write_text(json.dumps(proc))
    r = vse("exec", "--process", path, running)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split()[-1] == "1", r.stdout
    proc["execCPUAffinity"] = {"initial": "4095"}
    path.write_text(json.dumps(proc))
    r = vse("exec", "--process", path, running)
    assert r.returncode != 0 and "execCPUAffinity.initial" in r.stderr, r.stderr


def test_exec_detach_pid_file(vse, running, tmp_path):
    pid_file = tmp_path / "exec.pid"
    rc, out = vse_files(vse, "exec", "-d", "--pid-file", pid_file, running, "sleep", "77",
                        tmp_path=tmp_path)
    assert rc == 0, out
    pid = int(pid_file.read_text())
    with open(f"/proc/{pid}/cmdline", "rb") as f:
        assert f.read().split(b"\0")[:2] == [b"sleep", b"77"]
    init = vse.state(running)["pid"]
    assert os.readlink(f"/proc/{pid}/ns/pid") == os.readlink(f"/proc/{init}/ns/pid")
    assert os.readlink(f"/proc/{pid}/ns/mnt") == os.readlink(f"/proc/{init}/ns/mnt")
    with open(f"/proc/{pid}/cgroup") as a, open(f"/proc/{init}/cgroup") as b:
        assert a.read() == b.read()


def test_exec_in_stopped_container_fails(vse, running):
    vse("kill", running, "KILL", check=True)
    deadline = time.monotonic() + 10
    while vse.state(running)["status"] != "stopped" and time.monotonic() < deadline:
        time.sleep(0.05)
    r = vse("exec", running, "true")
    assert r.returncode != 0 and "stopped" in r.stderr


def _console_server(sock_path):
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(str(sock_path))
    srv.listen(1)
    srv.settimeout(30)
    return srv


def _receive_master(srv, result):
    try:
        conn, _ = srv.accept()
        with conn:
            fds = array.array("i")
            msg, anc, _, _ = conn.recvmsg(1024, socket.CMSG_LEN(fds.itemsize))
            for level, kind, data in anc:
                if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                    fds.frombytes(data[:fds.itemsize])
            result["fd"] = fds[0] if fds else None
    except OSError as e:
        result["error"] = e


def _read_pty(fd, timeout=20):
    out = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            break
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # EIO: the slave side closed
            break
        if not chunk:
            break
        out += chunk
    return out.decode(errors="replace")


def _console_output(vse, tmp_path, command, rest, expect_rc=0):
    """Runs `vse <command...> --console-socket <sock> <rest...>`, takes the pty master it sends
    over the socket and returns what the container wrote there, once vse exited expect_rc."""
    sock_path = tmp_path / "console.sock"
    srv = _console_server(sock_path)
    result = {}
    t = threading.Thread(target=_receive_master, args=(srv, result))
    t.start()
    p = subprocess.Popen([vse.bin, "--root", vse.root, *command, "--console-socket",
                          str(sock_path), *rest],
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    try:
        t.join(30)
        assert result.get("fd") is not None, result
        out = _read_pty(result["fd"])
        assert p.wait(timeout=20) == expect_rc, p.stderr.read()
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        srv.close()
        if result.get("fd") is not None:
            os.close(result["fd"])
    return out


def test_exec_tty_console_socket(vse, running, tmp_path):
    out = _console_output(vse, tmp_path, ["exec", "-t"],
                          [running, "sh", "-c", "tty; echo tty-ok; exit 4"], expect_rc=4)
    assert "/dev/pts/" in out, out
    assert "tty-ok" in out


def test_run_with_terminal_console_socket(vse, bundle, tmp_path):
    bundle.config["process"]["terminal"] = True
    bundle.set_args("sh", "-c", "tty; echo init-tty-ok")
    cid = vse.new_id()
    out = _console_output(vse, tmp_path, ["run"], ["--bundle", bundle.path, cid])
    assert "/dev/pts/0" in out, out  # the container's own devpts numbers from 0; runc prints it too
    assert "init-tty-ok" in out


def test_run_tty_relay_and_size(vse, bundle):
    """Foreground run with process.terminal and no console socket: vse relays between the
    caller's terminal and the container's pty, and gives it the caller's size."""
    import fcntl
    import struct
    import termios
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 33, 77, 0, 0))
    bundle.config["process"]["terminal"] = True
    bundle.set_args("sh", "-c", "tty; stty size; read line; echo got:$line")
    cid = vse.new_id()
    p = subprocess.Popen([vse.bin, "--root", vse.root, "run", "--bundle", bundle.path, cid],
                         stdin=slave, stdout=slave, stderr=slave, start_new_session=True)
    os.close(slave)
    try:
        out = ""
        deadline = time.monotonic() + 20
        while "33 77" not in out and time.monotonic() < deadline:
            if select.select([master], [], [], 0.5)[0]:
                out += os.read(master, 4096).decode(errors="replace")
        os.write(master, b"typed-in\r")
        assert p.wait(timeout=20) == 0
        out += _read_pty(master, timeout=2)
    finally:
        if p.poll() is None:
            vse("kill", cid, "KILL")
            p.wait(timeout=20)
        os.close(master)
    assert "/dev/pts/0" in out, out
    assert "33 77" in out, out
    assert "got:typed-in" in out, out


# The console must come from the container's own devpts instance (newinstance), not from the
# host's /dev/ptmx: the pty then exists in the container's /dev/pts, /dev/console is that pty,
# and the /dev/console bind sits on the same devpts superblock as /dev/pts.
DEVPTS_CHECK = r"""
echo tty=$(tty)
echo pts=$(ls /dev/pts | tr '\n' ' ')
echo console=$(stat -c %t:%T /dev/console) slave=$(stat -c %t:%T $(tty))
awk '$5 == "/dev/pts" || $5 == "/dev/console" {print "mnt", $5, $3, $9}' /proc/self/mountinfo
"""


def _devpts_report(out):
    tty = pts = console = slave = None
    devs = {}
    for line in out.replace("\r", "").splitlines():
        if line.startswith("tty="):
            tty = line[4:]
        elif line.startswith("pts="):
            pts = line[4:].split()
        elif line.startswith("console="):
            console, slave = [f.split("=")[1] for f in line.split()]
        elif line.startswith("mnt "):
            _, point, dev, fstype = line.split()
            devs[point] = (dev, fstype)
    return tty, pts, console, slave, devs


def _assert_container_devpts(out):
    tty, pts, console, slave, devs = _devpts_report(out)
    assert tty and tty.startswith("/dev/pts/"), out
    assert tty.rsplit("/", 1)[1] in pts, f"{tty} is not in the container's /dev/pts: {out}"
    assert devs["/dev/pts"][1] == "devpts", out
    return tty, console, slave, devs


def test_run_console_is_from_the_container_devpts(vse, bundle, tmp_path):
    bundle.config["process"]["terminal"] = True
    bundle.set_args("sh", "-c", DEVPTS_CHECK)
    cid = vse.new_id()
    out = _console_output(vse, tmp_path, ["run"], ["--bundle", bundle.path, cid])
    tty, console, slave, devs = _assert_container_devpts(out)
    assert console == slave, f"/dev/console is not the container's {tty}: {out}"
    # the /dev/console bind and /dev/pts are the same devpts superblock (same st_dev)
    assert devs["/dev/console"] == devs["/dev/pts"], out


def test_exec_tty_is_from_the_container_devpts(vse, running, tmp_path):
    out = _console_output(vse, tmp_path, ["exec", "-t"], [running, "sh", "-c", DEVPTS_CHECK])
    _assert_container_devpts(out)


def test_seccomp_without_no_new_privileges_for_run_and_exec(vse, bundle, tmp_path):
    """noNewPrivileges false: loading a filter needs CAP_SYS_ADMIN, so it has to happen before
    the capabilities are dropped (runc's order). A non-root user with the default (reduced)
    capabilities must still get the filter, in the init and in exec'd processes."""
    bundle.config["process"]["noNewPrivileges"] = False
    bundle.config["process"]["user"] = {"uid": 65534, "gid": 65534}
    bundle.config["root"]["readonly"] = False
    bundle.config["linux"]["seccomp"] = {
        "defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO",
                      "errnoRet": 95}],
    }
    probe = ("grep -E '^(NoNewPrivs|Seccomp|CapEff):' /proc/self/status; "
             "mkdir /tmp/vse-probe 2>&1; echo mkdir-rc=$?")
    bundle.set_args("sh", "-c", probe)
    cid = vse.new_id()
    r = vse("run", "--bundle", bundle.path, cid)
    assert r.returncode == 0, r.stderr
    status = dict(l.split(":", 1) for l in r.stdout.splitlines() if ":" in l and
                  l.split(":", 1)[0] in ("NoNewPrivs", "Seccomp", "CapEff"))
    assert status["NoNewPrivs"].strip() == "0", r.stdout
    assert status["Seccomp"].strip() == "2", r.stdout
    assert int(status["CapEff"], 16) == 0, r.stdout  # uid 65534: no effective capabilities
    assert "not supported" in r.stdout.lower() and "mkdir-rc=1" in r.stdout, r.stdout

    bundle.set_args("sleep", "1000")
    cid = vse.new_id()
    rc, out = vse_files(vse, "run", "-d", "--bundle", bundle.path, cid, tmp_path=tmp_path)
    assert rc == 0, out
    r = vse("exec", cid, "sh", "-c", probe)
    assert r.returncode == 0, r.stderr
    assert "NoNewPrivs:\t0" in r.stdout and "Seccomp:\t2" in r.stdout, r.stdout
    assert "not supported" in r.stdout.lower() and "mkdir-rc=1" in r.stdout, r.stdout
