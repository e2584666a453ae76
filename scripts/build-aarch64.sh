#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Builds the static aarch64 armpass that the test bed copies into L1 (build-aarch64/armpass),
# and the test programs it copies into L1 and L2 (build-aarch64/tests/progs/).
# libfdt-dev:arm64 cannot be installed beside the native libfdt-dev on Debian 12, so its
# package is unpacked into a cache folder instead (never installed). json-c (QMP) links from
# libjson-c-dev:arm64's libjson-c.a (Debian 12 has no static json-glib).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cache=${ARMPASS_CACHE:-$HOME/.cache/armpass}
sysroot=$cache/sysroot-arm64
if [ ! -f "$sysroot/usr/lib/aarch64-linux-gnu/libfdt.a" ]; then
    mkdir -p "$cache/debs" "$sysroot"
    (cd "$cache/debs" && apt-get download libfdt-dev:arm64 >/dev/null 2>&1)
    for deb in "$cache"/debs/libfdt-dev_*_arm64.deb; do dpkg-deb -x "$deb" "$sysroot"; done
fi
build=$top/build-aarch64
if [ ! -f "$build/build.ninja" ]; then
    meson setup "$build" "$top" --cross-file "$top/cross/aarch64-linux-gnu.ini" \
        -Dstatic=true -Dfdt_sysroot="$sysroot" -Dbuildtype=release >/dev/null
fi
ninja -C "$build" armpass progs >/dev/null
echo "$build/armpass"
