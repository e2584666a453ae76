#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Snapshots the kernel uapi headers armpass uses into linux-headers/, from Debian's
# linux-libc-dev (generic) and linux-libc-dev-arm64-cross (arm64 asm/), except vfio.h and
# iommufd.h, which come from linux-source-6.12 (the device cdev and iommufd ioctls are newer
# than Debian 12's 6.1 headers; exported with the kernel's own scripts/headers_install.sh,
# which needs unifdef), and records the versions, so armpass builds the same on any distro and
# host architecture. armpass decides at run time what the running kernel offers.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
out=$top/linux-headers
generic=/usr/include
arm64=/usr/aarch64-linux-gnu/include
for f in linux/kvm.h linux/psci.h linux/const.h linux/vhost.h linux/vhost_types.h linux/virtio_config.h \
         linux/virtio_pci.h linux/virtio_ring.h linux/virtio_ids.h linux/virtio_blk.h \
         linux/virtio_net.h linux/virtio_vsock.h linux/virtio_types.h linux/if_tun.h; do
    install -D -m 0644 "$generic/$f" "$out/$f"
done
src612=/usr/src/linux-source-6.12.tar.xz
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
tar -xJf "$src612" -C "$tmp" linux-source-6.12/scripts/headers_install.sh \
    linux-source-6.12/include/uapi/linux/vfio.h linux-source-6.12/include/uapi/linux/iommufd.h
sed -i 's@scripts/unifdef@unifdef@' "$tmp/linux-source-6.12/scripts/headers_install.sh"
for f in linux/vfio.h linux/iommufd.h; do
    (cd "$tmp/linux-source-6.12" && sh scripts/headers_install.sh "include/uapi/$f" "$out/$f")
done
for f in asm/kvm.h asm/ptrace.h asm/sve_context.h asm/hwcap.h; do
    install -D -m 0644 "$arm64/$f" "$out/$f"
done
ver=$(dpkg-query -W -f '${Version}' linux-libc-dev-arm64-cross)
{
    echo "Linux uapi headers for armpass, taken by scripts/update-linux-headers.sh."
    echo "linux/: linux-libc-dev $(dpkg-query -W -f '${Version}' "linux-libc-dev:$(dpkg --print-architecture)")"
    echo "linux/vfio.h, linux/iommufd.h: linux-source-6.12 $(dpkg-query -W -f '${Version}' linux-source-6.12)"
    echo "asm/ (arm64): linux-libc-dev-arm64-cross $ver"
} > "$out/VERSION"
echo "linux-headers/ updated from kernel headers $ver"
