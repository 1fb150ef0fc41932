"""Capabilities, no_new_privs and seccomp inside real containers (security/ module)."""
import array
import json
import os
import socket
import struct
import threading

import pytest

CAP_NUMBERS = {
    "CAP_CHOWN": 0, "CAP_DAC_OVERRIDE": 1, "CAP_FOWNER": 3, "CAP_KILL": 5, "CAP_SETGID": 6,
    "CAP_SETUID": 7, "CAP_SETPCAP": 8, "CAP_NET_BIND_SERVICE": 10, "CAP_NET_RAW": 13,
    "CAP_SYS_CHROOT": 18, "CAP_SYS_ADMIN": 21, "CAP_SYS_RESOURCE": 24, "CAP_MKNOD": 27,
    "CAP_AUDIT_WRITE": 29, "CAP_SETFCAP": 31,
}


def mask(names):
    m = 0
    for n in names:
        m |= 1 << CAP_NUMBERS[n]
    return m


def status_fields(text):
    out = {}
    for line in text.splitlines():
        if ":" in line:
            k, v = line.split(":", 1)
            out[k.strip()] = v.strip()
    return out


def host_bounding():
    with open("/proc/self/status") as f:
        return int(status_fields(f.read())["CapBnd"], 16)


def run_status(vse, bundle):
    bundle.set_args("cat", "/proc/self/status")
    cid = vse.new_id()
    r = vse("run", "--bundle", bundle.path, cid)
    assert r.returncode == 0, r.stderr
    return status_fields(r.stdout)


def test_cap_lines_match_config_exactly(vse, bundle):
    caps = {
        "bounding": ["CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_AUDIT_WRITE", "CAP_CHOWN",
                     "CAP_SETUID"],
        "effective": ["CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_CHOWN"],
        "permitted": ["CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_CHOWN"],
        "inheritable": ["CAP_KILL"],
        "ambient": ["CAP_KILL"],
    }
    bundle.config["process"]["capabilities"] = caps
    st = run_status(vse, bundle)
    assert st["CapBnd"] == "%016x" % mask(caps["bounding"])
    assert st["CapEff"] == "%016x" % mask(caps["effective"])
    assert st["CapPrm"] == "%016x" % mask(caps["permitted"])
    assert st["CapInh"] == "%016x" % mask(caps["inheritable"])
    assert st["CapAmb"] == "%016x" % mask(caps["ambient"])


def test_cap_lines_non_root_user_with_ambient(vse, bundle):
    keep = ["CAP_NET_BIND_SERVICE", "CAP_KILL"]
    bundle.config["process"]["user"] = {"uid": 1000, "gid": 1000}
    bundle.config["process"]["capabilities"] = {k: list(keep) for k in
                                                ("bounding", "effective", "permitted",
                                                 "inheritable", "ambient")}
    st = run_status(vse, bundle)
    for key in ("CapBnd", "CapEff", "CapPrm", "CapInh", "CapAmb"):
        assert st[key] == "%016x" % mask(keep), key
    assert st["Uid"].split() == ["1000"] * 4


def test_no_capabilities_at_all(vse, bundle):
    del bundle.config["process"]["capabilities"]
    st = run_status(vse, bundle)
    for key in ("CapBnd", "CapEff", "CapPrm", "CapInh", "CapAmb"):
        assert st[key] == "0" * 16, key


def test_no_new_privileges(vse, bundle):
    st = run_status(vse, bundle)
    assert st["NoNewPrivs"] == "1"
    bundle.config["process"]["noNewPrivileges"] = False
    st = run_status(vse, bundle)
    assert st["NoNewPrivs"] == "0"


def test_unknown_capability_name_is_an_error_naming_it(vse, bundle):
    bundle.config["process"]["capabilities"]["permitted"].append("CAP_VSE_BOGUS")
    bundle.set_args("true")
    cid = vse.new_id()
    r = vse("run", "--bundle", bundle.path, cid)
    assert r.returncode != 0
    assert "CAP_VSE_BOGUS" in r.stderr


def test_capability_withheld_by_host_is_a_clear_error(vse, bundle):
    if host_bounding() & (1 << CAP_NUMBERS["CAP_SYS_RESOURCE"]):
        pytest.skip("this host grants CAP_SYS_RESOURCE; the withheld-capability path needs a "
                    "host whose bounding set lacks it")
    for k in ("bounding", "effective", "permitted"):
        bundle.config["process"]["capabilities"][k].append("CAP_SYS_RESOURCE")
    bundle.set_args("true")
    cid = vse.new_id()
    r = vse("run", "--bundle", bundle.path, cid)
    assert r.returncode != 0
    assert "CAP_SYS_RESOURCE" in r.stderr
    assert "bounding set" in r.stderr
    assert not os.path.isdir(os.path.join(vse.root, cid))


def seccomp_config(rules, default="SCMP_ACT_ALLOW", **extra):
    sc = {"defaultAction": default,
          "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
          "syscalls": rules}
    sc.update(extra)
    return sc


def test_seccomp_errno_in_container(vse, bundle):
    bundle.config["linux"]["seccomp"] = seccomp_config([
        {"names": ["mkdir", "mkdirat", "vse_not_a_syscall"], "action": "SCMP_ACT_ERRNO",
         "errnoRet": 18},
    ])
    bundle.set_args("sh", "-c", "mkdir /tmp/x; echo rc=$?; grep Seccomp: /proc/self/status")
    cid = vse.new_id()
    r = vse("run", "--bundle", bundle.path, cid)
    assert r.returncode == 0, r.stderr
    assert "Invalid cross-device link" in r.stderr + r.stdout
    assert "rc=1" in r.stdout
    assert "Seccomp:\t2" in r.stdout


def test_seccomp_masked_eq_argument(vse, bundle):
    # chmod(path, mode) with (mode & 0o7000) == 0o4000 (setuid bit set) -> EPERM
    bundle.config["linux"]["seccomp"] = seccomp_config([
        {"names": ["chmod", "fchmodat"], "action": "SCMP_ACT_ERRNO",
         "args": [{"index": 1, "value": 0o7000, "valueTwo": 0o4000, "op": "SCMP_CMP_MASKED_EQ"}]},
        {"names": ["fchmodat"], "action": "SCMP_ACT_ERRNO",
         "args": [{"index": 2, "value": 0o7000, "valueTwo": 0o4000, "op": "SCMP_CMP_MASKED_EQ"}]},
    ])
    bundle.config["root"]["readonly"] = False
    bundle.set_args("sh", "-c", "touch /tmp/f; chmod 0755 /tmp/f && echo plain-ok; "
                    "chmod 4755 /tmp/f || echo suid-denied")
    cid = vse.new_id()
    r = vse("run", "--bundle", bundle.path, cid)
    assert "plain-ok" in r.stdout, r.stderr
    assert "suid-denied" in r.stdout, r.stdout + r.stderr


def test_seccomp_kill_process_in_container(vse, bundle):
    bundle.config["linux"]["seccomp"] = seccomp_config([
        {"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_KILL_PROCESS"},
    ])
    bundle.set_args("mkdir", "/tmp/x")
    cid = vse.new_id()
    r = vse("run", "--bundle", bundle.path, cid)
    assert r.returncode == 128 + 31, (r.returncode, r.stderr)  # SIGSYS


def test_seccomp_unsupported_flag_is_reported(vse, bundle):
    bundle.config["linux"]["seccomp"] = seccomp_config(
        [], flags=["SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"])
    bundle.set_args("true")
    cid = vse.new_id()
    r = vse("run", "--bundle", bundle.path, cid)
    if r.returncode == 0:
        pytest.skip("vse was built with a libseccomp that supports WAIT_KILLABLE_RECV")
    assert "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV" in r.stderr
    assert "not supported" in r.stderr


# ---- SCMP_ACT_NOTIFY with a small agent ----

SECCOMP_IOCTL_NOTIF_RECV = 0xC0502100
SECCOMP_IOCTL_NOTIF_SEND = 0xC0182101
NOTIF_FMT = "=QIIiIQ6Q"      # struct seccomp_notif (80 bytes)
RESP_FMT = "=QqiI"           # struct seccomp_notif_resp (24 bytes)


class Agent(threading.Thread):
    """Receives the listener fd and the state, fails the first notified syscall with EXDEV."""

    def __init__(self, path):
        super().__init__(daemon=True)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        self.sock.listen(1)
        self.sock.settimeout(30)
        self.state = None
        self.answered = 0
        self.error = None

    def run(self):
        import fcntl
        import select
        try:
            conn, _ = self.sock.accept()
            conn.settimeout(30)
            data = b""
            fds = []
            while True:
                msg, anc, _, _ = conn.recvmsg(65536, socket.CMSG_SPACE(4))
                for level, typ, payload in anc:
                    if level == socket.SOL_SOCKET and typ == socket.SCM_RIGHTS:
                        a = array.array("i")
                        a.frombytes(payload[:4])
                        fds.extend(a)
                data += msg
                try:
                    self.state = json.loads(data)
                    break
                except ValueError:
                    if not msg:
                        raise
            fd = fds[0]
            r, _, _ = select.select([fd], [], [], 30)
            if not r:
                raise TimeoutError("no notification")
            buf = bytearray(struct.calcsize(NOTIF_FMT))
            fcntl.ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, buf)
            notif_id = struct.unpack(NOTIF_FMT, buf)[0]
            resp = bytearray(struct.pack(RESP_FMT, notif_id, 0, -18, 0))
            fcntl.ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, resp)
            self.answered += 1
            os.close(fd)
            conn.close()
        except Exception as e:  # reported by the test
            self.error = e


def test_seccomp_notify_agent_answers(vse, bundle, tmp_path):
    path = str(tmp_path / "agent.sock")
    agent = Agent(path)
    agent.start()
    bundle.config["linux"]["seccomp"] = seccomp_config(
        [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_NOTIFY"}],
        listenerPath=path, listenerMetadata="vse-test-metadata")
    bundle.set_args("sh", "-c", "mkdir /tmp/x; echo rc=$?")
    cid = vse.new_id()
    r = vse("run", "--bundle", bundle.path, cid)
    agent.join(35)
    assert agent.error is None, repr(agent.error)
    assert agent.answered == 1
    assert agent.state["fds"] == ["seccompFd"]
    assert agent.state["metadata"] == "vse-test-metadata"
    assert agent.state["state"]["id"] == cid
    assert isinstance(agent.state["pid"], int) and agent.state["pid"] > 1
    assert r.returncode == 0, r.stderr
    assert "Invalid cross-device link" in r.stderr + r.stdout
    assert "rc=1" in r.stdout
