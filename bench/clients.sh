#!/bin/bash
# Client-level start cost: `podman run --rm IMG /bin/true` and `ctr run --rm IMG ID /bin/true`
# with vse, runc and crun as the OCI runtime, measured with hyperfine, reported as ratios.
#
#   bench/clients.sh [RUNS]          RUNS per command (default 30; use 3-5 to check it works)
#   VSE_BIN=/path/to/vse  RUNTIMES="vse runc crun"  WARMUP=2  ROUNDS=1
#
# crun 1.8 refuses this hybrid cgroup host, so — as in ../shared/BASELINE.md — everything runs
# inside one private mount namespace whose /sys/fs/cgroup shows only the v1 controllers (a tmpfs
# with the v1 hierarchies bound into it; the host's mounts are not changed). All three runtimes
# run under the same view. Podman and containerd are private instances under
# /tmp/vse-bench-*/ (tests/oci/clients.py), removed at the end with their cgroups.
# The machine is shared and noisy: compare the ratios of one run, never absolute times.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(dirname "$HERE")"
RUNS="${1:-${RUNS:-30}}"
export RUNS REPO
export VSE_BIN="${VSE_BIN:-$REPO/build/cli/vse}"
export RUNTIMES="${RUNTIMES:-vse runc crun}"
export WARMUP="${WARMUP:-2}"
export ROUNDS="${ROUNDS:-1}"

need() { command -v "$1" >/dev/null || { echo "clients.sh: $1 is not installed ($2)" >&2; exit 2; }; }
need hyperfine "apt-get install hyperfine"
need podman "install tests/oci/packages.txt"
need containerd "install tests/oci/packages.txt"
need ctr "install tests/oci/packages.txt"
need unshare "util-linux"
[ "$(id -u)" = 0 ] || { echo "clients.sh: must run as root" >&2; exit 2; }

if [ "${VSE_BENCH_INNER:-}" != 1 ]; then
    # Re-enter in a private mount namespace; mounts made there vanish with it.
    export VSE_BENCH_INNER=1
    # mount(8) may create /run/mount (libmount's utab dir) on the shared /run: remove it
    # afterwards if it was not there before.
    had_run_mount=0; [ -e /run/mount ] && had_run_mount=1
    rc=0
    unshare --mount --propagation private "$BASH" "${BASH_SOURCE[0]}" "$RUNS" || rc=$?
    [ $had_run_mount = 1 ] || rmdir /run/mount 2>/dev/null || true
    exit $rc
fi

# ---- inside the private mount namespace: a v1-only /sys/fs/cgroup view ----
if [ "$(stat -f -c %T /sys/fs/cgroup)" != cgroup2fs ]; then
    SAVE="$(mktemp -d /tmp/vse-bench-cg-XXXXXX)"
    mount --rbind /sys/fs/cgroup "$SAVE"
    mount -t tmpfs -o mode=755 vse-bench-cgroup /sys/fs/cgroup
    for d in "$SAVE"/*; do
        name="$(basename "$d")"
        [ "$name" = unified ] && continue       # hide the v2 hierarchy from crun
        if [ -L "$d" ]; then
            ln -s "$(readlink "$d")" "/sys/fs/cgroup/$name"
        elif mountpoint -q "$d"; then
            mkdir "/sys/fs/cgroup/$name"
            mount --bind "$d" "/sys/fs/cgroup/$name"
        fi
    done
    umount -l "$SAVE"
    rmdir "$SAVE"
fi

exec /usr/bin/python3 - <<'PY'
import json, os, shutil, subprocess, sys, tempfile

REPO = os.environ["REPO"]
sys.path.insert(0, os.path.join(REPO, "tests", "oci"))
import clients, image

runs, warmup, rounds = int(os.environ["RUNS"]), int(os.environ["WARMUP"]), int(os.environ["ROUNDS"])
paths = {"vse": os.path.abspath(os.environ["VSE_BIN"]), "runc": shutil.which("runc"),
         "crun": shutil.which("crun")}
runtimes = {}
for name in os.environ["RUNTIMES"].split():
    p = paths.get(name) or shutil.which(name)
    if p and os.access(p, os.X_OK):
        runtimes[name] = p
    else:
        print(f"clients.sh: runtime {name} not found ({p}); left out", file=sys.stderr)
if not runtimes:
    sys.exit("clients.sh: no runtime to measure")

workdir = tempfile.mkdtemp(prefix="vse-bench-")
imgs = image.Images(os.path.join(workdir, "img"))
pm = clients.Podman(runtimes)
cd = clients.Containerd()
problems = []


def smoke(cmd, what):
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=pm.env)
    if r.returncode != 0:
        print(f"  {what}: does not work, left out: rc={r.returncode} "
              f"{(r.stderr or r.stdout).strip()[:300]}", file=sys.stderr)
        return False
    return True


def hyperfine(cmds, out):
    """cmds: {label: argv}; returns {label: (median s, user s, system s)} per round, merged."""
    res = {k: [] for k in cmds}
    for rnd in range(rounds):
        jf = os.path.join(workdir, f"{out}-{rnd}.json")
        args = ["hyperfine", "-N", "--runs", str(runs), "--warmup", str(warmup),
                "--export-json", jf]
        for label, argv in cmds.items():
            args += ["-n", label, " ".join(argv)]
        subprocess.run(args, check=True, env=pm.env)
        with open(jf) as f:
            for r in json.load(f)["results"]:
                res[r["command"]].append((r["median"], r["user"], r["system"]))
    return {k: tuple(sorted(v)[len(v) // 2]) for k, v in res.items() if v}


def report(title, med):
    print(f"\n== {title}: median wall / user+sys CPU of the client process (not the daemons) ({runs} runs x {rounds}) ==")
    for k, (wall, usr, sys_) in med.items():
        print(f"  {k:6} {wall * 1000:8.1f} ms   cpu {(usr + sys_) * 1000:7.1f} ms")
    if "vse" in med:
        for other in ("crun", "runc"):
            if other in med:
                w = med["vse"][0] / med[other][0]
                c = (med["vse"][1] + med["vse"][2]) / (med[other][1] + med[other][2])
                print(f"  vse/{other}: wall {w:.2f}x  cpu {c:.2f}x")


try:
    pm.setup(imgs)
    ref = imgs.oci_ref
    cmds = {}
    for name in runtimes:
        argv = pm.base(name) + ["run", "--rm", *pm.create_flags(), ref, "/bin/true"]
        if smoke(argv, f"podman --runtime {name}"):
            cmds[name] = argv
    if cmds:
        report("podman run --rm IMG /bin/true", hyperfine(cmds, "podman"))

    cd.start()
    cd.import_images(imgs)
    cmds = {}
    for name, path in runtimes.items():
        cd.ids.add(f"vse-bench-{name}")
        argv = cd.ctr("run", "--rm", *cd.run_flags(path), ref, f"vse-bench-{name}", "/bin/true")
        if smoke(argv, f"ctr run --runc-binary {name}"):
            cmds[name] = argv
    if cmds:
        report("ctr run --rm IMG ID /bin/true", hyperfine(cmds, "ctr"))
finally:
    problems += pm.teardown()
    problems += cd.teardown()
    shutil.rmtree(workdir, ignore_errors=True)
    for p in problems:
        print("clients.sh: cleanup: " + p, file=sys.stderr)
sys.exit(1 if problems else 0)
PY
