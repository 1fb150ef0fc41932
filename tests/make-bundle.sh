#!/bin/bash
# Makes an OCI bundle with a busybox-static userland:
#   tests/make-bundle.sh [--no-cgroup-mount] [--rw] [--oci-version V] DIR [COMMAND ARGS...]
# DIR/rootfs gets /bin/busybox, one symlink per applet, /etc/passwd and /etc/group;
# DIR/config.json is `vse spec`'s default made non-interactive (terminal false) running
# COMMAND (default: sh -c 'echo hello from vse'). --no-cgroup-mount drops the cgroup mounts
# (for benchmarks, so every runtime does the same work); --rw makes the root writable;
# --oci-version sets ociVersion (crun 1.8.1 refuses configs newer than it knows: "unknown
# version specified").
# The vse binary is $VSE_BIN, else build/cli/vse.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
vse=${VSE_BIN:-$repo/build/cli/vse}
no_cgroup_mount=0
readonly_root=1
oci_version=
while [[ $# -gt 0 ]]; do
    case $1 in
        --no-cgroup-mount) no_cgroup_mount=1; shift ;;
        --rw) readonly_root=0; shift ;;
        --oci-version) oci_version=$2; shift 2 ;;
        -*) echo "make-bundle.sh: unknown option $1" >&2; exit 2 ;;
        *) break ;;
    esac
done
if [[ $# -lt 1 ]]; then
    echo "usage: $0 [--no-cgroup-mount] [--rw] [--oci-version V] DIR [COMMAND ARGS...]" >&2
    exit 2
fi
dir=$1
shift
[[ $# -gt 0 ]] || set -- sh -c 'echo hello from vse'

# busybox-static installs /bin/busybox; it runs in any rootfs because it needs no libraries.
busybox=/bin/busybox
[[ -x $busybox ]] || busybox=$(command -v busybox)

rootfs=$dir/rootfs
mkdir -p "$rootfs"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,tmp,root,var,run}
chmod 1777 "$rootfs/tmp"
cp "$busybox" "$rootfs/bin/busybox"
for applet in $("$busybox" --list); do
    [[ -e $rootfs/bin/$applet ]] || ln -s busybox "$rootfs/bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n' \
    >"$rootfs/etc/passwd"
printf 'root:x:0:\ntty:x:5:\nnogroup:x:65534:\n' >"$rootfs/etc/group"

rm -f "$dir/config.json"
"$vse" spec --bundle "$dir"
/usr/bin/python3 - "$dir/config.json" "$no_cgroup_mount" "$readonly_root" "$oci_version" "$@" \
    <<'PY'
import json, sys
path, no_cgroup, ro, version = sys.argv[1], sys.argv[2] == "1", sys.argv[3] == "1", sys.argv[4]
args = sys.argv[5:]
with open(path) as f:
    cfg = json.load(f)
if version:
    cfg["ociVersion"] = version
cfg["process"]["terminal"] = False
cfg["process"]["args"] = args
cfg["root"] = {"path": "rootfs", "readonly": ro}
if no_cgroup:
    cfg["mounts"] = [m for m in cfg.get("mounts", []) if m.get("type") not in ("cgroup", "cgroup2")]
with open(path, "w") as f:
    json.dump(cfg, f, indent=2)
PY
