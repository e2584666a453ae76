#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Snapshots the kernel uapi headers armpass uses into linux-headers/, from Debian's
# linux-libc-dev (generic) and linux-libc-dev-arm64-cross (arm64 asm/), and records the
# kernel version, so armpass builds the same on any distro and host architecture.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
out=$top/linux-headers
generic=/usr/include
arm64=/usr/aarch64-linux-gnu/include
for f in linux/kvm.h linux/vfio.h linux/psci.h linux/const.h; do
    install -D -m 0644 "$generic/$f" "$out/$f"
done
for f in asm/kvm.h asm/ptrace.h asm/sve_context.h asm/hwcap.h; do
    install -D -m 0644 "$arm64/$f" "$out/$f"
done
ver=$(dpkg-query -W -f '${Version}' linux-libc-dev-arm64-cross)
{
    echo "Linux uapi headers for armpass, taken by scripts/update-linux-headers.sh."
    echo "linux/: linux-libc-dev $(dpkg-query -W -f '${Version}' "linux-libc-dev:$(dpkg --print-architecture)")"
    echo "asm/ (arm64): linux-libc-dev-arm64-cross $ver"
} > "$out/VERSION"
echo "linux-headers/ updated from kernel headers $ver"
