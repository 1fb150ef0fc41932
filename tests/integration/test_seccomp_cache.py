"""The cache of compiled seccomp filters (docs/security.md, "Cache of the compiled filter").

The first `vse run` with a profile compiles it and stores the BPF under
<root>/.seccomp-cache/<hash>.bpf; the next run loads that program without libseccomp. Both
runs must enforce the same filter. A cache file is only trusted when it is a regular file owned
by root, not group/world writable, and its stored key (the canonical text of the seccomp
section) matches byte for byte; otherwise it is ignored and rewritten.

To show that a bad file really is not used, the tests plant an allow-everything program in it:
if vse loaded it, the denied syscalls would succeed. The control test shows such a planted
program does take effect when the file passes every check, so the others measure the checks.
"""
import glob
import os
import shutil
import stat
import struct
import subprocess

import pytest

from test_default_seccomp import build_probe, vse_spec_config

MAGIC = b"VSEBPF\0\1"
# struct sock_filter {u16 code; u8 jt; u8 jf; u32 k}: BPF_RET|BPF_K, SECCOMP_RET_ALLOW
ALLOW_ALL = struct.pack("=HBBI", 0x06, 0, 0, 0x7FFF0000)
# Denied by the default profile (EPERM) and not by the missing capabilities alone, see
# test_default_seccomp.py's control test; clone3 gets ENOSYS from the profile.
PROFILE_DENIED = ["keyctl", "add_key", "io_uring_setup", "personality_bad"]
PROBES = PROFILE_DENIED + ["clone3", "unix_socket", "clone_plain"]
EXPECTED = {"keyctl": "1", "add_key": "1", "io_uring_setup": "1", "personality_bad": "1",
            "clone3": "38", "unix_socket": "0", "clone_plain": "0"}


@pytest.fixture(scope="module")
def probe_bin(tmp_path_factory):
    return build_probe(tmp_path_factory.mktemp("vse-probe"))


@pytest.fixture(scope="module")
def profile(tmp_path_factory):
    return vse_spec_config(tmp_path_factory.mktemp("vse-spec"))["linux"]["seccomp"]


@pytest.fixture
def sbundle(bundle, profile, probe_bin):
    shutil.copy2(probe_bin, os.path.join(bundle.rootfs, "bin", "vse-probe"))
    bundle.config["linux"]["seccomp"] = profile
    bundle.set_args("vse-probe", *PROBES)
    return bundle


def cache_dir(vse):
    return os.path.join(vse.root, ".seccomp-cache")


def run_logged(vse, bundle, tmp_path):
    """One `vse --debug --log FILE run`; returns (probe results, log text)."""
    log = tmp_path / ("log-" + os.urandom(4).hex())
    cid = vse.new_id()
    r = vse("--debug", "--log", log, "run", "-b", bundle.path, cid, timeout=60)
    text = log.read_text() if log.exists() else ""
    assert r.returncode == 0, f"{r.stderr}\n{text}"
    results = dict(l.split() for l in r.stdout.splitlines() if len(l.split()) == 2)
    return results, text


def only_cache_file(vse):
    files = glob.glob(os.path.join(cache_dir(vse), "*.bpf"))
    assert len(files) == 1, files
    return files[0]


def split_cache_file(data):
    assert data[:8] == MAGIC, data[:16]
    key_len, n_insns = struct.unpack("=II", data[8:16])
    key = data[16:16 + key_len]
    prog = data[16 + key_len:]
    assert len(prog) == 8 * n_insns
    return key, prog


def forge(key, prog):
    return MAGIC + struct.pack("=II", len(key), len(prog) // 8) + key + prog


def write_forged(path, data, mode=0o600, uid=0):
    with open(path, "wb") as f:
        f.write(data)
    os.chown(path, uid, uid)
    os.chmod(path, mode)


@pytest.fixture
def primed(vse, sbundle, tmp_path):
    """A state root whose cache holds the default profile's program (from a first run)."""
    results, log = run_logged(vse, sbundle, tmp_path)
    assert results == EXPECTED, results
    assert "seccomp: cache stored: " in log, (
        "no cache activity in the debug log (the container init must open the cache with "
        "security_seccomp_cache_open and compile with security_seccomp_compile_opts):\n" + log)
    path = only_cache_file(vse)
    with open(path, "rb") as f:
        return path, f.read()


def test_first_run_stores_second_run_hits(vse, sbundle, tmp_path, primed):
    path, first = primed
    st = os.stat(cache_dir(vse))
    assert stat.S_IMODE(st.st_mode) == 0o700 and st.st_uid == 0
    st = os.stat(path)
    assert stat.S_IMODE(st.st_mode) == 0o600 and st.st_uid == 0
    key, prog = split_cache_file(first)
    assert key.startswith(b"vse-seccomp-cache 1\n") and b"\n7:keyctl\n" not in key
    assert b"\n6:execve\n" in key and len(prog) > 8 * 100
    results, log = run_logged(vse, sbundle, tmp_path)
    assert "seccomp: cache hit: " + os.path.basename(path) in log, log
    assert "seccomp: cache stored" not in log and "unknown syscall" not in log, log
    assert results == EXPECTED, results
    with open(path, "rb") as f:
        assert f.read() == first


def test_trusted_cache_file_is_what_gets_loaded(vse, sbundle, tmp_path, primed):
    """Control: a root-owned 0600 file with the right key is used as it is, so the tests
    below, which plant the same program in files that fail a check, measure the checks."""
    path, first = primed
    key, _ = split_cache_file(first)
    write_forged(path, forge(key, ALLOW_ALL))
    results, log = run_logged(vse, sbundle, tmp_path)
    assert "seccomp: cache hit" in log, log
    for name in PROFILE_DENIED:
        assert results[name] != "1", f"{name} still denied: the planted program was not used"


def test_tampered_key_is_ignored_and_rewritten(vse, sbundle, tmp_path, primed):
    path, first = primed
    key, _ = split_cache_file(first)
    tampered = key.replace(b"\n6:execve\n", b"\n6:execvE\n")
    assert tampered != key
    write_forged(path, forge(tampered, ALLOW_ALL))
    results, log = run_logged(vse, sbundle, tmp_path)
    assert "holds another profile" in log and "seccomp: cache hit" not in log, log
    assert "seccomp: cache stored" in log, log
    assert results == EXPECTED, results
    with open(path, "rb") as f:
        assert f.read() == first


@pytest.mark.parametrize("mode,uid,reason", [
    (0o666, 0, "group or world writable (mode 0666)"),
    (0o620, 0, "group or world writable (mode 0620)"),
    (0o600, 65534, "owned by uid 65534"),
])
def test_untrusted_cache_file_is_refused(vse, sbundle, tmp_path, primed, mode, uid, reason):
    path, first = primed
    key, _ = split_cache_file(first)
    write_forged(path, forge(key, ALLOW_ALL), mode=mode, uid=uid)
    results, log = run_logged(vse, sbundle, tmp_path)
    assert f"refused: {reason}" in log and "seccomp: cache hit" not in log, log
    assert results == EXPECTED, results
    st = os.stat(path)
    assert stat.S_IMODE(st.st_mode) == 0o600 and st.st_uid == 0
    with open(path, "rb") as f:
        assert f.read() == first


def test_corrupt_cache_file_is_ignored(vse, sbundle, tmp_path, primed):
    path, first = primed
    write_forged(path, first[:len(first) - 3])
    results, log = run_logged(vse, sbundle, tmp_path)
    assert "not a valid cache file" in log, log
    assert results == EXPECTED, results
    with open(path, "rb") as f:
        assert f.read() == first


def test_symlinked_cache_file_is_not_followed(vse, sbundle, tmp_path, primed):
    path, first = primed
    key, _ = split_cache_file(first)
    elsewhere = tmp_path / "planted.bpf"
    write_forged(str(elsewhere), forge(key, ALLOW_ALL))
    os.unlink(path)
    os.symlink(elsewhere, path)
    results, log = run_logged(vse, sbundle, tmp_path)
    assert "seccomp: cache hit" not in log, log
    assert results == EXPECTED, results
    assert not os.path.islink(path)
    with open(elsewhere, "rb") as f:
        assert f.read() == forge(key, ALLOW_ALL)


def test_world_writable_cache_dir_is_not_used(vse, sbundle, tmp_path, primed):
    path, first = primed
    key, _ = split_cache_file(first)
    write_forged(path, forge(key, ALLOW_ALL))
    os.chmod(cache_dir(vse), 0o777)
    results, log = run_logged(vse, sbundle, tmp_path)
    assert "cache directory" in log and "refused" in log, log
    assert "seccomp: cache hit" not in log, log
    assert results == EXPECTED, results


def test_changed_profile_gets_its_own_entry(vse, sbundle, tmp_path, primed):
    path, first = primed
    sbundle.config["linux"]["seccomp"]["flags"] = ["SECCOMP_FILTER_FLAG_LOG"]
    sbundle.write()
    results, log = run_logged(vse, sbundle, tmp_path)
    assert "seccomp: cache stored" in log, log
    assert results == EXPECTED, results
    assert len(glob.glob(os.path.join(cache_dir(vse), "*.bpf"))) == 2
    results, log = run_logged(vse, sbundle, tmp_path)
    assert "seccomp: cache hit" in log, log
    assert results == EXPECTED, results


def test_concurrent_first_runs_leave_one_valid_file(vse, sbundle, tmp_path):
    """Container inits are all pid 1 of their namespace: their temp files must not collide."""
    procs = []
    for _ in range(4):
        cid = vse.new_id()
        procs.append(subprocess.Popen([vse.bin, "--root", vse.root, "run", "-b", sbundle.path,
                                       cid], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                      text=True))
    for p in procs:
        out, errtext = p.communicate(timeout=60)
        assert p.returncode == 0, errtext
        assert dict(l.split() for l in out.splitlines() if len(l.split()) == 2) == EXPECTED
    assert os.listdir(cache_dir(vse)) == [os.path.basename(only_cache_file(vse))]
    results, log = run_logged(vse, sbundle, tmp_path)
    assert "seccomp: cache hit" in log, log
    assert results == EXPECTED, results
