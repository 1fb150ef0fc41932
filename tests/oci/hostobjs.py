"""Host objects the client tests make: cgroup trees, mounts, stray processes.

Everything here acts only on names the caller passes in (always `vse-...` with a unique
suffix), never on globs of other people's objects.
"""
import os
import signal
import subprocess
import time

CGROUP_ROOT = "/sys/fs/cgroup"


def hierarchies():
    """Every mounted cgroup hierarchy directly under /sys/fs/cgroup (v1 controllers, unified)."""
    out = []
    try:
        names = sorted(os.listdir(CGROUP_ROOT))
    except OSError:
        return out
    for name in names:
        path = os.path.join(CGROUP_ROOT, name)
        if os.path.isdir(path) and not os.path.islink(path):
            out.append(path)
    return out


def cgroup_trees(rel):
    """Existing directories /sys/fs/cgroup/<hierarchy>/<rel>."""
    rel = rel.strip("/")
    return [p for p in (os.path.join(h, rel) for h in hierarchies()) if os.path.isdir(p)]


def _procs(path):
    try:
        with open(os.path.join(path, "cgroup.procs")) as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def remove_cgroup_tree(rel, kill=True):
    """rmdir /sys/fs/cgroup/*/<rel> bottom-up; kill what still runs in it first (our own
    containers' leftovers only: the tree is ours by name). Returns what could not be removed."""
    left = []
    for top in cgroup_trees(rel):
        dirs = []
        for dirpath, dirnames, _ in os.walk(top):
            dirs.append(dirpath)
        for d in reversed(dirs):
            if kill:
                for pid in _procs(d):
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
            for _ in range(50):
                try:
                    os.rmdir(d)
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.05)
            if os.path.isdir(d):
                left.append(d)
    return left


def mounts_under(path):
    """Mount points at or under `path` from /proc/self/mountinfo, deepest first."""
    path = os.path.realpath(path)
    found = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            mp = line.split()[4].replace("\\040", " ")
            if mp == path or mp.startswith(path + "/"):
                found.append(mp)
    return sorted(found, key=len, reverse=True)


def unmount_under(path):
    for mp in mounts_under(path):
        subprocess.run(["umount", "-l", mp], capture_output=True)
    return mounts_under(path)


def pids_mentioning(marker):
    """Processes whose command line contains `marker` (a unique temp dir of ours)."""
    me = os.getpid()
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit() or int(d) == me:
            continue
        try:
            with open(f"/proc/{d}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if marker in cmd:
            out.append((int(d), cmd.strip()))
    return out


def kill_pids(pids, sig=signal.SIGTERM, wait=5.0):
    for pid in pids:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass
    deadline = time.time() + wait
    alive = list(pids)
    while alive and time.time() < deadline:
        alive = [p for p in alive if os.path.exists(f"/proc/{p}")
                 and not _is_zombie(p)]
        if alive:
            time.sleep(0.05)
    return alive


def _is_zombie(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def proc_cgroups(pid):
    """{controller: path} from /proc/<pid>/cgroup; the unified hierarchy under key ''."""
    out = {}
    with open(f"/proc/{pid}/cgroup") as f:
        for line in f:
            _, ctrls, path = line.rstrip("\n").split(":", 2)
            for c in (ctrls.split(",") if ctrls else [""]):
                out[c] = path
    return out


def cgroup_file(pid, controller, name):
    """Read <hierarchy of controller>/<cgroup of pid>/<name>; v1 first, then unified."""
    cgs = proc_cgroups(pid)
    if controller in cgs:
        mount = os.path.join(CGROUP_ROOT, controller)
        if not os.path.isdir(mount):
            # combined hierarchies such as cpu,cpuacct
            for h in hierarchies():
                if controller in os.path.basename(h).split(","):
                    mount = h
                    break
        path = os.path.join(mount, cgs[controller].lstrip("/"), name)
    else:
        path = os.path.join(CGROUP_ROOT, "unified" if os.path.isdir(
            os.path.join(CGROUP_ROOT, "unified")) else "", cgs[""].lstrip("/"), name)
    with open(path) as f:
        return f.read().strip()


def status_field(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return line.split(":", 1)[1].strip()
    raise KeyError(field)
