#!/bin/bash
# The one test command of vse (run as root):
#   1. tests/setup.sh (packages)
#   2. builds build/ (normal) and build-asan/ (ASan + UBSan)
#   3. unit tests (meson test --suite unit) of both builds
#   4. integration tests (pytest tests/integration) against build/cli/vse, then build-asan/cli/vse
#   5. a leak check: no mounts, cgroups, netns, links or processes of vse-* left behind
# The last line is exactly "N passed, N failed, N skipped"; the exit status is non-zero when
# anything failed or nothing ran. VSE_TESTS (default tests/integration) narrows the integration
# tests for a quick local run, e.g. VSE_TESTS=tests/integration/test_cli.py tests/run.sh
set -uo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
logs=$(mktemp -d /tmp/vsetest-logs-XXXXXX)
passed=0
failed=0
skipped=0

finish() {
    echo "logs: $logs"
    echo "$passed passed, $failed failed, $skipped skipped"
    if [[ $failed -gt 0 || $passed -eq 0 ]]; then
        exit 1
    fi
    exit 0
}

section() {
    printf '\n=== %s\n' "$*"
}

# Adds "passed failed skipped" (three numbers on one line) to the totals.
add_counts() {
    local p f s
    read -r p f s <<<"$1"
    passed=$((passed + p))
    failed=$((failed + f))
    skipped=$((skipped + s))
}

# ---- set-up and builds ----
section "setup"
if ! tests/setup.sh; then
    echo "tests/setup.sh failed"
    failed=$((failed + 1))
    finish
fi

# build DIR [meson options...]: configures (or reconfigures) and builds; output goes to logs.
build() {
    local dir=$1
    shift
    local log=$logs/build-$(basename "$dir").log
    if [[ -f $dir/build.ninja ]]; then
        if ! meson configure "$dir" "$@" >"$log" 2>&1; then
            meson setup --wipe "$dir" "$@" >>"$log" 2>&1 || { tail -30 "$log"; return 1; }
        fi
    else
        meson setup "$dir" "$@" >"$log" 2>&1 || { tail -30 "$log"; return 1; }
    fi
    if ! ninja -C "$dir" >>"$log" 2>&1; then
        grep -E 'error|FAILED|undefined reference' "$log" | head -40
        return 1
    fi
    if grep -q 'warning:' "$log"; then
        echo "compiler warnings in $dir (see $log):"
        grep 'warning:' "$log" | sort -u | head -20
    fi
}

builds=()
section "build: build/ (normal)"
if build build; then builds+=(build); else echo "build/ failed"; failed=$((failed + 1)); fi
section "build: build-asan/ (ASan + UBSan)"
if build build-asan -Db_sanitize=address,undefined -Db_lundef=false; then
    builds+=(build-asan)
else
    echo "build-asan/ failed"
    failed=$((failed + 1))
fi

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

# ---- unit tests ----
# Reads meson test's summary ("Ok: 3", "Fail: 0", ...) and prints "passed failed skipped".
meson_counts() {
    awk -F: '
        /^Ok:/ || /^Expected Fail:/ { p += $2 }
        /^Fail:/ || /^Unexpected Pass:/ || /^Timeout:/ { f += $2 }
        /^Skipped:/ { s += $2 }
        END { printf "%d %d %d\n", p, f, s }' "$1"
}

for b in "${builds[@]}"; do
    section "unit tests: $b"
    log=$logs/unit-$b.log
    meson test -C "$b" --suite unit --no-rebuild --print-errorlogs >"$log" 2>&1
    rc=$?
    grep -E '^ *[0-9]+/[0-9]+ |^(Ok|Fail|Skipped|Timeout|Expected Fail|Unexpected Pass):' "$log"
    counts=$(meson_counts "$log")
    if grep -q 'No suitable tests defined\|No tests defined' "$log"; then
        echo "(no unit tests in suite 'unit')"
    elif [[ $rc -ne 0 && $counts == "0 0 0" ]]; then
        echo "meson test failed to run (exit $rc):"
        tail -20 "$log"
        counts="0 1 0"
    fi
    add_counts "$counts"
done

# ---- leak check helpers ----
# Prints one line per host object that belongs to vse: mounts, cgroups, netns, links, and
# processes (a vse binary, a vse-* argument, or a vse-* cgroup).
leak_snapshot() {
    /usr/bin/python3 - "$repo" <<'PY'
import os, re, subprocess, sys
repo = sys.argv[1]
pat = re.compile(r"vse-|vsetest-|pytest-of-")
me = {os.getpid(), os.getppid()}
out = []
with open("/proc/self/mountinfo") as f:
    for line in f:
        mp = line.split()[4]
        if pat.search(mp):
            out.append(f"mount {mp}")
for dirpath, dirnames, _ in os.walk("/sys/fs/cgroup"):
    if dirpath.count("/") > 8:
        dirnames[:] = []
        continue
    for d in dirnames:
        if d.startswith("vse-") or "-vse-" in d or d.startswith("vse."):
            out.append(f"cgroup {os.path.join(dirpath, d)}")
if os.path.isdir("/run/netns"):
    out += [f"netns {n}" for n in os.listdir("/run/netns") if n.startswith("vse")]
links = subprocess.run(["ip", "-o", "link", "show"], capture_output=True, text=True).stdout
out += [f"link {l.split(':')[1].strip()}" for l in links.splitlines()
        if re.search(r"^\d+: (vse|veth-vse|br-vse)", l)]
for p in os.listdir("/proc"):
    if not p.isdigit() or int(p) in me:
        continue
    try:
        with open(f"/proc/{p}/cmdline", "rb") as f:
            args = [a.decode(errors="replace") for a in f.read().split(b"\0") if a]
        with open(f"/proc/{p}/cgroup") as f:
            cg = f.read()
        exe = os.readlink(f"/proc/{p}/exe") if args else ""
    except OSError:
        continue
    if not args:
        continue
    ours = exe.endswith("/cli/vse") or any(a.startswith("vse-") for a in args) \
        or re.search(r"/vse-[^/\n]*", cg)
    if ours:
        out.append(f"process {p} {' '.join(args)[:120]}")
print("\n".join(sorted(out)))
PY
}

before=$(leak_snapshot)
# vse keeps one shared parent cgroup, <hierarchy>/vse, between containers (it saves a mkdir and
# an rmdir per hierarchy on every start). The ones this suite made are removed at the end.
vse_parents_before=$(ls -d /sys/fs/cgroup/*/vse 2>/dev/null)

# ---- integration tests ----
# Reads a junit xml file and prints "passed failed skipped".
junit_counts() {
    /usr/bin/python3 - "$1" <<'PY'
import sys
import xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
t = f = s = 0
for su in suites:
    t += int(su.get("tests", 0))
    f += int(su.get("failures", 0)) + int(su.get("errors", 0))
    s += int(su.get("skipped", 0))
print(t - f - s, f, s)
PY
}

for b in "${builds[@]}"; do
    section "integration tests: $b/cli/vse"
    xml=$logs/junit-$b.xml
    base=$(mktemp -d /tmp/vsetest-pytest-XXXXXX)
    # --timeout (pytest-timeout): a hung test fails alone, its fixtures still clean up.
    VSE_BIN=$repo/$b/cli/vse timeout -k 30 2400 /usr/bin/python3 -m pytest -p no:cacheprovider \
        -q -rs --timeout=300 --junitxml="$xml" --basetemp="$base" ${VSE_TESTS:-tests/integration}
    rc=$?
    if [[ -s $xml ]]; then
        add_counts "$(junit_counts "$xml")"
    elif [[ $rc -ne 5 ]]; then
        echo "pytest did not finish (exit $rc)"
        failed=$((failed + 1))
    fi
    # Keep the tree for inspection if something is still mounted under it.
    if grep -q " $base" /proc/self/mountinfo; then
        echo "mounts left under $base"
    else
        rm -rf --one-file-system "$base"
    fi
done

# ---- leak check ----
section "leak check"
for d in /sys/fs/cgroup/*/vse; do
    [[ -d $d ]] || continue
    grep -qxF "$d" <<<"$vse_parents_before" && continue
    rmdir "$d" 2>/dev/null || echo "shared parent cgroup $d is not empty"
done
after=$(leak_snapshot)
new=$(comm -13 <(echo "$before") <(echo "$after") | sed '/^$/d')
old=$(comm -12 <(echo "$before") <(echo "$after") | sed '/^$/d')
if [[ -n $old ]]; then
    echo "present before the suite started (not counted):"
    echo "$old" | sed 's/^/  /'
fi
if [[ -n $new ]]; then
    echo "LEAKED during the suite (on a shared machine, another run at the same time can show"
    echo "up here too):"
    echo "$new" | sed 's/^/  /'
    failed=$((failed + 1))
else
    echo "nothing left behind"
fi

finish
