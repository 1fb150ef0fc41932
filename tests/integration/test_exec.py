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


def test_exec_tty_console_socket(vse, running, tmp_path):
    sock_path = tmp_path / "console.sock"
    srv = _console_server(sock_path)
    result = {}
    t = threading.Thread(target=_receive_master, args=(srv, result))
    t.start()
    p = subprocess.Popen([vse.bin, "--root", vse.root, "exec", "-t", "--console-socket",
                          str(sock_path), running, "sh", "-c", "tty; echo tty-ok; exit 4"],
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    try:
        t.join(30)
        assert result.get("fd") is not None, result
        out = _read_pty(result["fd"])
        assert p.wait(timeout=20) == 4, p.stderr.read()
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        srv.close()
        if result.get("fd") is not None:
            os.close(result["fd"])
    assert "/dev/pts/" in out, out
    assert "tty-ok" in out


def test_run_with_terminal_console_socket(vse, bundle, tmp_path):
    sock_path = tmp_path / "console.sock"
    srv = _console_server(sock_path)
    result = {}
    t = threading.Thread(target=_receive_master, args=(srv, result))
    t.start()
    bundle.config["process"]["terminal"] = True
    bundle.set_args("sh", "-c", "tty; echo init-tty-ok")
    cid = vse.new_id()
    p = subprocess.Popen([vse.bin, "--root", vse.root, "run", "--console-socket",
                          str(sock_path), "--bundle", bundle.path, cid],
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    try:
        t.join(30)
        assert result.get("fd") is not None, result
        out = _read_pty(result["fd"])
        assert p.wait(timeout=20) == 0, p.stderr.read()
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        srv.close()
        if result.get("fd") is not None:
            os.close(result["fd"])
    assert "/dev/console" in out, out
    assert "init-tty-ok" in out
