#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Fetches Debian's busybox-static:arm64 into the cache (downloaded and unpacked, never installed) and prints the binary's path.
#
# Installing busybox-static:arm64 would replace the host's own /bin/busybox with an arm64
# binary, hence apt-get download + dpkg-deb -x. Needs the arm64 architecture enabled
# (scripts/setup-host.sh does it).
set -euo pipefail

cache=${ARMPASS_CACHE:-$HOME/.cache/armpass}
dir=$cache/busybox-arm64
bin=$dir/root/bin/busybox

if [ ! -x "$bin" ]; then
    mkdir -p "$dir/debs"
    rm -f "$dir"/debs/busybox-static_*_arm64.deb
    # As root, apt's download sandbox user (_apt) may not be able to write here: download as
    # root without the warning.
    sandbox=()
    [ "$(id -u)" != 0 ] || sandbox=(-o APT::Sandbox::User=root)
    if ! (cd "$dir/debs" && apt-get -q "${sandbox[@]}" download busybox-static:arm64) >&2; then
        echo "busybox.sh: apt-get download busybox-static:arm64 failed (is arm64 enabled? dpkg --add-architecture arm64 && apt-get update)" >&2
        exit 1
    fi
    rm -rf "$dir/root" "$dir/root.tmp"
    dpkg-deb -x "$dir"/debs/busybox-static_*_arm64.deb "$dir/root.tmp"
    mv "$dir/root.tmp" "$dir/root"
fi
[ -x "$bin" ] || { echo "busybox.sh: $bin missing after unpacking" >&2; exit 1; }
echo "$bin"
