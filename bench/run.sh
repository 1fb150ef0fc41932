#!/bin/bash
# vse vs crun vs runc, side by side in one run (see bench/README.md). Run as root:
#   bench/run.sh [-r RUNS] [-w WARMUP] [-o OUTPUT.md]       (defaults: 30 runs, 3 warmup)
# Results go to bench/results.md (or -o) and to stdout. Env: VSE_BIN (default build/cli/vse),
# CRUN, RUNC (default: Debian's in PATH).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
runs=${RUNS:-30}
warmup=${WARMUP:-3}
out=$repo/bench/results.md
while getopts "r:w:o:h" opt; do
    case $opt in
        r) runs=$OPTARG ;;
        w) warmup=$OPTARG ;;
        o) out=$OPTARG ;;
        *) sed -n '2,5p' "$0"; exit 2 ;;
    esac
done

[[ $(id -u) -eq 0 ]] || { echo "bench/run.sh: run as root" >&2; exit 1; }
"$repo/tests/setup.sh"
vse=${VSE_BIN:-$repo/build/cli/vse}
if [[ -z ${VSE_BIN:-} ]]; then
    [[ -f $repo/build/build.ninja ]] || meson setup "$repo/build" >/dev/null
    ninja -C "$repo/build" >/dev/null
fi
crun=${CRUN:-$(command -v crun)}
runc=${RUNC:-$(command -v runc)}

tmp=$(mktemp -d /tmp/vse-bench-XXXXXX)
trap 'rm -rf --one-file-system "$tmp"' EXIT

# One config for all three runtimes: `vse spec`'s default without the cgroup mount (the
# runtimes mount /sys/fs/cgroup differently; leaving it out makes the work equal), with
# ociVersion 1.0.2 because crun 1.8.1 refuses newer versions ("unknown version specified").
for b in "bundle-true /bin/true" "bundle-sleep sleep 3600"; do
    set -- $b
    VSE_BIN=$vse "$repo/tests/make-bundle.sh" --no-cgroup-mount --oci-version 1.0.2 "$tmp/$1" \
        "${@:2}"
done

# The benchmarks themselves run in a private mount namespace whose /sys/fs/cgroup shows only
# the v1 controllers: crun 1.8.1 refuses hybrid hosts. The host's mounts are never touched.
cat >"$tmp/inner.sh" <<'INNER'
#!/bin/bash
set -uo pipefail
tmp=$1 runs=$2 warmup=$3
shift 3
mkdir -p "$tmp/orig"
mount --rbind /sys/fs/cgroup "$tmp/orig"
mount -t tmpfs -o mode=755 tmpfs /sys/fs/cgroup
for c in cpu cpuacct cpuset memory devices freezer blkio pids systemd; do
    [[ -d $tmp/orig/$c ]] || continue
    mkdir "/sys/fs/cgroup/$c"
    mount --bind "$tmp/orig/$c" "/sys/fs/cgroup/$c"
done

# measure JSON_OUT HYPERFINE_ARGS... COMMAND: on failure drops JSON_OUT and shows why by
# running COMMAND once more with its output.
measure() {
    local json=$1
    shift
    hyperfine --style basic -r "$runs" -w "$warmup" --export-json "$json" "$@" && return 0
    rm -f "$json"
    echo "FAILED; one more run with its output:"
    sh -c "${@: -1}" 2>&1 | tail -5
}

# bench NAME RUNTIME_PATH: writes $tmp/NAME-{run,lifecycle,exec}.json and NAME-rss.txt;
# a failed benchmark leaves its file out (reported as "failed").
bench() {
    local name=$1 rt=$2
    local root=$tmp/root-$name id=vse-bench-$name-$$
    local rtc="$rt --root $root"
    mkdir -p "$root"
    echo "--- $name: run /bin/true"
    measure "$tmp/$name-run.json" -N "$rtc run -b $tmp/bundle-true $id-run"
    echo "--- $name: create + start + delete -f"
    measure "$tmp/$name-lifecycle.json" \
        "$rtc create -b $tmp/bundle-true $id-cycle && $rtc start $id-cycle && $rtc delete -f $id-cycle"
    $rtc delete -f "$id-cycle" >/dev/null 2>&1
    echo "--- $name: exec /bin/true"
    if $rtc run -d -b "$tmp/bundle-sleep" "$id-exec" </dev/null >/dev/null 2>&1; then
        measure "$tmp/$name-exec.json" -N "$rtc exec $id-exec /bin/true"
    else
        echo "$name: could not start the container for exec"
    fi
    $rtc delete -f "$id-exec" >/dev/null 2>&1
    echo "--- $name: peak RSS of run"
    : >"$tmp/$name-rss.txt"
    local i
    for ((i = 0; i < (runs < 10 ? runs : 10); i++)); do
        /usr/bin/time -f %M -a -o "$tmp/$name-rss.txt" $rtc run -b "$tmp/bundle-true" "$id-rss" \
            >/dev/null 2>&1 || { : >"$tmp/$name-rss.txt"; break; }
    done
    $rtc delete -f "$id-rss" >/dev/null 2>&1
    return 0
}

while [[ $# -gt 0 ]]; do
    bench "$1" "$2"
    shift 2
done
INNER

echo "runtimes: vse=$vse crun=$crun runc=$runc; $runs runs, $warmup warmup"
unshare --mount --propagation private bash "$tmp/inner.sh" "$tmp" "$runs" "$warmup" \
    vse "$vse" crun "$crun" runc "$runc"

# The table: medians of wall time, mean user+sys CPU, median peak RSS; ratios against crun.
/usr/bin/python3 - "$tmp" "$out" "$runs" "$warmup" "$vse" "$crun" "$runc" <<'PY'
import datetime, json, os, platform, statistics, subprocess, sys
tmp, out, runs, warmup = sys.argv[1:5]
paths = dict(zip(("vse", "crun", "runc"), sys.argv[5:8]))
names = ("vse", "crun", "runc")

def version(path):
    try:
        return subprocess.run([path, "--version"], capture_output=True, text=True).stdout \
            .splitlines()[0]
    except Exception:
        return "?"

def hf(name, work):
    p = os.path.join(tmp, f"{name}-{work}.json")
    if not os.path.exists(p):
        return None
    r = json.load(open(p))["results"][0]
    return {"wall": statistics.median(r["times"]) * 1e3, "cpu": (r["user"] + r["system"]) * 1e3}

def rss(name):
    p = os.path.join(tmp, f"{name}-rss.txt")
    vals = [int(l) for l in open(p).read().split()] if os.path.exists(p) else []
    return statistics.median(vals) / 1024 if vals else None

rows = []
for work, label in (("run", "`run` of /bin/true"), ("lifecycle", "create + start + delete -f"),
                    ("exec", "exec /bin/true into a running container")):
    res = {n: hf(n, work) for n in names}
    for key, what in (("wall", "wall, median"), ("cpu", "CPU user+sys, mean")):
        rows.append((f"{label} ({what})",
                     {n: res[n][key] if res[n] else None for n in names}, "ms"))
rows.append(("peak RSS of the runtime (`run`, median)", {n: rss(n) for n in names}, "MiB"))

def cell(v, unit):
    return "failed" if v is None else f"{v:.1f} {unit}" if unit == "ms" else f"{v:.2f} {unit}"

def ratio(a, b):
    return "-" if a is None or b is None or b == 0 else f"{a / b:.2f}x"

lines = [
    f"# vse vs crun vs runc — {datetime.datetime.now().strftime('%Y-%m-%d %H:%M')}",
    "",
    f"Host: {platform.node()}, kernel {platform.release()}, {os.cpu_count()} CPUs. "
    f"hyperfine {runs} runs after {warmup} warmup runs per cell; all runtimes in one private "
    "mount namespace whose /sys/fs/cgroup shows only the v1 controllers (bench/run.sh). "
    "Compare ratios within this table, not absolute times across runs.",
    "",
    "Runtimes: " + "; ".join(f"{n}: `{version(paths[n])}` ({paths[n]})" for n in names),
    "",
    "| work | vse | crun | runc | vse / crun | runc / crun |",
    "|---|---|---|---|---|---|",
]
for label, vals, unit in rows:
    lines.append(f"| {label} | " + " | ".join(cell(vals[n], unit) for n in names) +
                 f" | {ratio(vals['vse'], vals['crun'])} | {ratio(vals['runc'], vals['crun'])} |")
text = "\n".join(lines) + "\n"
open(out, "w").write(text)
print()
print(text)
PY
echo "written: $out"
