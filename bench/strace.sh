#!/bin/bash
# Where the syscalls go: `strace -f -c` of one `run` of /bin/true per runtime, in the same
# private v1-only cgroup view as bench/run.sh. Run as root:
#   bench/strace.sh [-s] [-k] [RUNTIME...]     (default: vse crun runc)
#   -s  use the bundle with vse spec's default seccomp profile (default: no linux.seccomp)
#   -k  keep the full strace logs (strace -f -o, one file per runtime) and print their path
# Env: VSE_BIN (default build/cli/vse), CRUN, RUNC. Prints each runtime's summary table and a
# one-line total per runtime. The first run of each runtime is a warm-up (page cache, the
# seccomp cache) and is not traced.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
seccomp=0
keep=0
while getopts "skh" opt; do
    case $opt in
        s) seccomp=1 ;;
        k) keep=1 ;;
        *) sed -n '2,9p' "$0"; exit 2 ;;
    esac
done
shift $((OPTIND - 1))
[[ $# -gt 0 ]] || set -- vse crun runc
[[ $(id -u) -eq 0 ]] || { echo "bench/strace.sh: run as root" >&2; exit 1; }

vse=${VSE_BIN:-$repo/build/cli/vse}
crun=${CRUN:-$(command -v crun)}
runc=${RUNC:-$(command -v runc)}
tmp=$(mktemp -d /tmp/vse-strace-XXXXXX)
if [[ $keep -eq 1 ]]; then
    trap 'rm -rf --one-file-system "$tmp/bundle" "$tmp"/root-*; echo "logs: $tmp"' EXIT
else
    trap 'rm -rf --one-file-system "$tmp"' EXIT
fi

VSE_BIN=$vse "$repo/bench/make-bench-bundle.sh" "$tmp/bundle" "$seccomp" /bin/true

cat >"$tmp/inner.sh" <<'INNER'
#!/bin/bash
set -uo pipefail
tmp=$1 keep=$2
shift 2
. "$(dirname "$0")/v1view.sh"
v1_view "$tmp"
for spec in "$@"; do
    name=${spec%%=*} rt=${spec#*=}
    root=$tmp/root-$name id=vse-strace-$name-$$
    mkdir -p "$root"
    $rt --root "$root" run -b "$tmp/bundle" "$id" >/dev/null 2>&1 </dev/null
    $rt --root "$root" delete -f "$id" >/dev/null 2>&1
    strace -f -c -o "$tmp/$name.summary" $rt --root "$root" run -b "$tmp/bundle" "$id" \
        </dev/null >/dev/null 2>&1
    if [[ $keep -eq 1 ]]; then
        strace -f -o "$tmp/$name.log" $rt --root "$root" run -b "$tmp/bundle" "$id-log" \
            </dev/null >/dev/null 2>&1
    fi
    $rt --root "$root" delete -f "$id" >/dev/null 2>&1
    echo "=== $name ($rt)"
    cat "$tmp/$name.summary"
done
for spec in "$@"; do
    name=${spec%%=*}
    awk -v n="$name" '/^100.00/ { print n ": " $4 " syscalls, " $5 " errors" }
                      $NF == "total" && !/^100/ { print n ": " $(NF-2) " syscalls" }' \
        "$tmp/$name.summary"
done
INNER
cp "$repo/bench/v1view.sh" "$tmp/v1view.sh"

specs=()
for name in "$@"; do
    case $name in
        vse) specs+=("vse=$vse") ;;
        crun) specs+=("crun=$crun") ;;
        runc) specs+=("runc=$runc") ;;
        *) echo "bench/strace.sh: unknown runtime $name" >&2; exit 2 ;;
    esac
done
unshare --mount --propagation private bash "$tmp/inner.sh" "$tmp" "$keep" "${specs[@]}"
