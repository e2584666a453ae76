#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Installs everything armpass needs to build, test and run its test bed on Debian 12.
set -euo pipefail
SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    $SUDO dpkg --add-architecture arm64
fi
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends \
    build-essential meson ninja-build pkg-config \
    libglib2.0-dev libfdt-dev zlib1g-dev device-tree-compiler \
    gcc-aarch64-linux-gnu libc6-dev-arm64-cross \
    libglib2.0-dev:arm64 zlib1g-dev:arm64 \
    libseccomp-dev libseccomp-dev:arm64 libcap-ng-dev libcap-ng-dev:arm64 \
    liburcu-dev liburcu-dev:arm64 libjson-c-dev libjson-c-dev:arm64 \
    qemu-system-arm linux-source-6.1 linux-source-6.12 linux-libc-dev unifdef \
    bc bison flex libssl-dev libelf-dev cpio xz-utils gzip file e2fsprogs \
    gnuplot-nox binutils \
    python3 ca-certificates groff-base man-db \
    clang-14 libclang-rt-14-dev valgrind
