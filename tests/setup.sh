#!/bin/bash
# Installs everything vse needs to build, test and benchmark on Debian 12 (run as root).
# Idempotent and quiet: it does nothing when every package is already there, and runs
# `apt-get update` only when an install cannot find a package.
set -euo pipefail

PACKAGES=(
    # build
    meson ninja-build pkg-config gcc
    libc6-dev libyajl-dev libcap-dev libseccomp-dev libmnl-dev
    # tests
    busybox-static python3 python3-pytest python3-pytest-timeout python3-jsonschema
    iproute2 util-linux procps strace
    # comparison and benchmarks
    crun runc hyperfine time
)

# The podman/containerd acceptance tests need their clients (one package a line, # comments).
repo=$(cd "$(dirname "$0")/.." && pwd)
while read -r p _; do
    [[ -n $p && $p != \#* ]] && PACKAGES+=("$p")
done <"$repo/tests/oci/packages.txt"

if [[ $(id -u) -ne 0 ]]; then
    echo "tests/setup.sh: must run as root (it installs packages)" >&2
    exit 1
fi

missing=()
for p in "${PACKAGES[@]}"; do
    status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
    [[ $status == ii* ]] || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

export DEBIAN_FRONTEND=noninteractive
apt_install() {
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/tmp/vse-setup-apt.log 2>&1
}
echo "tests/setup.sh: installing ${missing[*]}"
if ! compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null || ! apt_install; then
    apt-get update -qq >/tmp/vse-setup-apt.log 2>&1 || { cat /tmp/vse-setup-apt.log >&2; exit 1; }
    apt_install || { cat /tmp/vse-setup-apt.log >&2; exit 1; }
fi
rm -f /tmp/vse-setup-apt.log
