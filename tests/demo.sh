#!/bin/bash
# The five-minute tour: installs what vse needs, builds it, makes a busybox bundle and runs a
# container that says hello. Run as root from anywhere: sudo tests/demo.sh
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

tests/setup.sh
[[ -f build/build.ninja ]] || meson setup build >/dev/null
ninja -C build >/dev/null

tmp=$(mktemp -d /tmp/vse-demo-XXXXXX)
id=vse-demo-$$
cleanup() {
    build/cli/vse --root "$tmp/state" delete --force "$id" >/dev/null 2>&1 || true
    rm -rf --one-file-system "$tmp"
}
trap cleanup EXIT

VSE_BIN=$repo/build/cli/vse tests/make-bundle.sh "$tmp/bundle" \
    sh -c 'echo hello from vse; hostname; id'
echo "+ vse run --bundle $tmp/bundle $id"
build/cli/vse --root "$tmp/state" run --bundle "$tmp/bundle" "$id"
