#!/bin/bash
# vse vs crun vs runc, side by side in one run (see bench/README.md). Run as root:
#   bench/run.sh [-r RUNS] [-w WARMUP] [-n ROUNDS] [-o OUTPUT.md]
#   (defaults: 30 runs, 3 warmup, 2 rounds; RUNS=, WARMUP=, ROUNDS= in the environment too)
# Results go to bench/results.md (or -o) and to stdout. Env: VSE_BIN (default build/cli/vse),
# CRUN, RUNC (default: Debian's in PATH).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
runs=${RUNS:-30}
warmup=${WARMUP:-3}
rounds=${ROUNDS:-2}
out=$repo/bench/results.md
while getopts "r:w:n:o:h" opt; do
    case $opt in
        r) runs=$OPTARG ;;
        w) warmup=$OPTARG ;;
        n) rounds=$OPTARG ;;
        o) out=$OPTARG ;;
        *) sed -n '2,6p' "$0"; exit 2 ;;
    esac
done

[[ $(id -u) -eq 0 ]] || { echo "bench/run.sh: run as root" >&2; exit 1; }
"$repo/tests/setup.sh"
vse=${VSE_BIN:-$repo/build/cli/vse}
if [[ -z ${VSE_BIN:-} ]]; then
    [[ -f $repo/build/build.ninja ]] || meson setup "$repo/build" >/dev/null
    ninja -C "$repo/build" >/dev/null
fi
vse=$(realpath "$vse")
crun=${CRUN:-$(command -v crun)}
runc=${RUNC:-$(command -v runc)}

tmp=$(mktemp -d /tmp/vse-bench-XXXXXX)
trap 'rm -rf --one-file-system "$tmp"' EXIT

# The same bundles for all three runtimes (bench/make-bench-bundle.sh): plain = `vse spec`'s
# default without linux.seccomp (like `runc spec`), seccomp = with vse spec's default profile,
# limits = plain + memory, pids and cpu limits; sleep = plain running `sleep 3600` for exec.
for b in "true-plain plain /bin/true" "true-seccomp seccomp /bin/true" \
    "true-limits limits /bin/true" "sleep plain sleep 3600"; do
    set -- $b
    VSE_BIN=$vse "$repo/bench/make-bench-bundle.sh" "$tmp/bundle-$1" "$2" "${@:3}"
done
cp "$repo/bench/v1view.sh" "$tmp/v1view.sh"

# Runs in a private mount namespace whose /sys/fs/cgroup shows only the v1 controllers
# (bench/v1view.sh): crun 1.8.1 refuses hybrid hosts. The host's mounts are never touched.
cat >"$tmp/inner.sh" <<'INNER'
#!/bin/bash
set -uo pipefail
tmp=$1 runs=$2 warmup=$3 rounds=$4
shift 4
declare -A rt=()
names=()
while [[ $# -gt 0 ]]; do
    rt[$1]=$2
    names+=("$1")
    shift 2
done
. "$tmp/v1view.sh"
v1_view "$tmp"
for n in "${names[@]}"; do mkdir -p "$tmp/root-$n"; done
cmd() { echo "${rt[$1]} --root $tmp/root-$1"; }

# hyperfine_all OUT.json SHELL(0/1) TEMPLATE: one hyperfine over every runtime, in the
# order of this round (reversed every other round, so no runtime always runs first).
# TEMPLATE gets RT replaced by the runtime's command and ID by a per-runtime id.
hyperfine_all() {
    local json=$1 shell=$2 tmpl=$3 n args=()
    [[ $shell -eq 1 ]] || args+=(-N)
    for n in "${order[@]}"; do
        local c=${tmpl//RT/$(cmd "$n")}
        args+=(-n "$n" "${c//ID/vse-bench-$n-$$}")
    done
    hyperfine --style basic -r "$runs" -w "$warmup" --export-json "$json" "${args[@]}" \
        >"$json.log" 2>&1 && return 0
    echo "FAILED ($json):"
    tail -5 "$json.log"
    rm -f "$json"
    for n in "${order[@]}"; do
        local c=${tmpl//RT/$(cmd "$n")}
        echo "one more run of $n with its output:"
        sh -c "${c//ID/vse-bench-$n-$$}" 2>&1 | tail -3
    done
}

cleanup_ids() {
    local n
    for n in "${names[@]}"; do
        $(cmd "$n") delete -f "vse-bench-$n-$$" >/dev/null 2>&1
    done
}

for ((round = 1; round <= rounds; round++)); do
    order=("${names[@]}")
    if ((round % 2 == 0)); then
        order=()
        for ((i = ${#names[@]} - 1; i >= 0; i--)); do order+=("${names[i]}"); done
    fi
    echo "--- round $round/$rounds (order: ${order[*]}; load: $(cut -d' ' -f1-3 /proc/loadavg))"
    for kind in plain seccomp limits; do
        echo "    run /bin/true ($kind)"
        hyperfine_all "$tmp/r$round-run-$kind.json" 0 "RT run -b $tmp/bundle-true-$kind ID"
        cleanup_ids
    done
    echo "    create + start + delete -f"
    hyperfine_all "$tmp/r$round-lifecycle.json" 1 \
        "RT create -b $tmp/bundle-true-plain ID && RT start ID && RT delete -f ID"
    cleanup_ids
    echo "    exec /bin/true into a running container"
    for n in "${names[@]}"; do
        $(cmd "$n") run -d -b "$tmp/bundle-sleep" "vse-bench-$n-$$-x" </dev/null >/dev/null 2>&1 ||
            echo "$n: could not start the container for exec"
    done
    hyperfine_all "$tmp/r$round-exec.json" 0 "RT exec ID-x /bin/true"
    for n in "${names[@]}"; do
        $(cmd "$n") delete -f "vse-bench-$n-$$-x" >/dev/null 2>&1
    done
done
echo "--- peak RSS of run (/usr/bin/time -f %M, 10 runs each)"
for n in "${names[@]}"; do
    : >"$tmp/$n-rss.txt"
    for ((i = 0; i < 10; i++)); do
        /usr/bin/time -f %M -a -o "$tmp/$n-rss.txt" $(cmd "$n") run \
            -b "$tmp/bundle-true-plain" "vse-bench-$n-$$-rss" >/dev/null 2>&1 ||
            { : >"$tmp/$n-rss.txt"; break; }
    done
    $(cmd "$n") delete -f "vse-bench-$n-$$-rss" >/dev/null 2>&1
done
cut -d' ' -f1-3 /proc/loadavg >"$tmp/load-end"
INNER

echo "runtimes: vse=$vse crun=$crun runc=$runc; $rounds rounds x $runs runs, $warmup warmup"
cut -d' ' -f1-3 /proc/loadavg >"$tmp/load-start"
unshare --mount --propagation private bash "$tmp/inner.sh" "$tmp" "$runs" "$warmup" "$rounds" \
    vse "$vse" crun "$crun" runc "$runc"

# The table: median wall time over all runs of all rounds, mean CPU (user+sys) over all runs,
# median peak RSS; ratios against crun, and vse/crun of each round's medians for the spread.
/usr/bin/python3 - "$tmp" "$out" "$runs" "$warmup" "$rounds" "$vse" "$crun" "$runc" <<'PY'
import datetime, glob, json, os, platform, statistics, subprocess, sys
tmp, out, runs, warmup, rounds = sys.argv[1:6]
rounds = int(rounds)
paths = dict(zip(("vse", "crun", "runc"), sys.argv[6:9]))
names = ("vse", "crun", "runc")

def version(path):
    try:
        return subprocess.run([path, "--version"], capture_output=True, text=True).stdout \
            .splitlines()[0]
    except Exception:
        return "?"

def load(work):
    """{name: {"times": [...], "cpu": [per-round mean user+sys], "round_median": [...]}}"""
    res = {}
    for r in range(1, rounds + 1):
        p = os.path.join(tmp, f"r{r}-{work}.json")
        if not os.path.exists(p):
            continue
        for x in json.load(open(p))["results"]:
            d = res.setdefault(x["command"], {"times": [], "cpu": [], "round_median": []})
            d["times"] += x["times"]
            d["cpu"].append((x["user"] + x["system"]) * 1e3)
            d["round_median"].append(statistics.median(x["times"]) * 1e3)
    return res

def rss(name):
    p = os.path.join(tmp, f"{name}-rss.txt")
    vals = [int(l) for l in open(p).read().split()] if os.path.exists(p) else []
    return statistics.median(vals) / 1024 if vals else None

works = (("run-plain", "`run` /bin/true, no seccomp (like `runc spec`)"),
         ("run-seccomp", "`run` /bin/true, vse spec's default seccomp profile"),
         ("run-limits", "`run` /bin/true, memory + pids + cpu limits"),
         ("lifecycle", "create + start + delete -f"),
         ("exec", "exec /bin/true into a running container"))
rows = []
for work, label in works:
    res = load(work)
    wall = {n: statistics.median(res[n]["times"]) * 1e3 if n in res else None for n in names}
    cpu = {n: statistics.mean(res[n]["cpu"]) if n in res else None for n in names}
    per_round = ""
    if "vse" in res and "crun" in res:
        per_round = ", ".join(f"{a / b:.2f}" for a, b in
                              zip(res["vse"]["round_median"], res["crun"]["round_median"]))
    rows.append((f"{label}: wall, median", wall, "ms", per_round))
    rows.append((f"{label}: CPU user+sys, mean", cpu, "ms", ""))
rows.append(("peak RSS of the runtime (`run`, median of 10)", {n: rss(n) for n in names}, "MiB",
             ""))

def cell(v, unit):
    return "failed" if v is None else f"{v:.1f} {unit}" if unit == "ms" else f"{v:.2f} {unit}"

def ratio(a, b):
    return "-" if a is None or b is None or b == 0 else f"{a / b:.2f}x"

load_start = open(os.path.join(tmp, "load-start")).read().strip()
load_end_p = os.path.join(tmp, "load-end")
load_end = open(load_end_p).read().strip() if os.path.exists(load_end_p) else "?"
lines = [
    f"# vse vs crun vs runc — {datetime.datetime.now().strftime('%Y-%m-%d %H:%M')}",
    "",
    f"Host: {platform.node()}, kernel {platform.release()}, {os.cpu_count()} CPUs; load average "
    f"{load_start} at the start, {load_end} at the end (the machine is shared). "
    f"hyperfine, {rounds} rounds x {runs} runs after {warmup} warmup runs per cell, the three "
    "runtimes one after the other in each round (order reversed every other round); all in "
    "one private mount namespace whose /sys/fs/cgroup shows only the v1 controllers "
    "(bench/run.sh). Wall: median of all runs; CPU: mean user+sys as hyperfine reports it. "
    "Compare ratios within this table, not absolute times across runs.",
    "",
    "Runtimes: " + "; ".join(f"{n}: `{version(paths[n])}` ({paths[n]})" for n in names),
    "",
    "| work | vse | crun | runc | vse / crun | runc / crun | vse / crun per round |",
    "|---|---|---|---|---|---|---|",
]
for label, vals, unit, per_round in rows:
    lines.append(f"| {label} | " + " | ".join(cell(vals[n], unit) for n in names) +
                 f" | {ratio(vals['vse'], vals['crun'])} | {ratio(vals['runc'], vals['crun'])}"
                 f" | {per_round} |")
text = "\n".join(lines) + "\n"
open(out, "w").write(text)
print()
print(text)
PY
echo "written: $out"
