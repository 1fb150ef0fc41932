#!/bin/bash
# One benchmark bundle for all three runtimes:
#   bench/make-bench-bundle.sh DIR KIND COMMAND [ARGS...]
# KIND: plain    `vse spec`'s default without linux.seccomp (like `runc spec`)
#       seccomp  the same with vse spec's default seccomp profile
#       limits   plain + memory (256 MiB, swap = limit), pids (512) and cpu (shares 512,
#                quota 50 ms / period 100 ms) limits
# For backwards compatibility a KIND of 0/1 means plain/seccomp.
# Every bundle: busybox-static rootfs (tests/make-bundle.sh), terminal off, no /sys/fs/cgroup
# mount (the runtimes mount it differently), ociVersion 1.0.2 (crun 1.8.1 refuses newer ones).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
dir=$1 kind=$2
shift 2
case $kind in 0) kind=plain ;; 1) kind=seccomp ;; esac
case $kind in plain | seccomp | limits) ;; *) echo "make-bench-bundle.sh: unknown kind $kind" >&2; exit 2 ;; esac
"$repo/tests/make-bundle.sh" --no-cgroup-mount --oci-version 1.0.2 "$dir" "$@" >/dev/null
/usr/bin/python3 - "$dir/config.json" "$kind" <<'PY'
import json, sys
path, kind = sys.argv[1:3]
with open(path) as f:
    cfg = json.load(f)
lin = cfg.setdefault("linux", {})
if kind != "seccomp":
    lin.pop("seccomp", None)
if kind == "limits":
    lin["resources"] = dict(lin.get("resources", {}),
                            memory={"limit": 256 << 20, "swap": 256 << 20},
                            pids={"limit": 512},
                            cpu={"shares": 512, "quota": 50000, "period": 100000})
with open(path, "w") as f:
    json.dump(cfg, f, indent=2)
PY
