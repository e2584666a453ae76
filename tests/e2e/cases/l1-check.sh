#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Test-bed check of L1 alone (no armpass): /dev/kvm exists and the pl031, pl061 and fw-cfg bind to VFIO in no-IOMMU mode.
# shellcheck source=tests/e2e/cases/lib.sh
. /cases/lib.sh

echo "l1-check: uptime $(cut -d' ' -f1 /proc/uptime) s, $(nproc) CPUs, $(uname -r)"
echo "--- L1 dmesg (gic, kvm, vfio, psci) ---"
dmesg | grep -iE 'gic|kvm|vfio|psci|hyp' | head -n 30
[ -c /dev/kvm ] || fail "no /dev/kvm in L1"
ls -l /dev/kvm

echo Y > /sys/module/vfio/parameters/enable_unsafe_noiommu_mode ||
    fail "cannot enable vfio no-IOMMU mode"

# bind BUS DEVICE DRIVER: hands DEVICE over to DRIVER (vfio-amba or vfio-platform).
bind() {
    d=/sys/bus/$1/devices/$2
    [ -e "$d" ] || fail "no $d"
    if [ -e "$d/driver" ]; then
        echo "l1-check: $2 was bound to $(basename "$(readlink "$d/driver")")"
        echo "$2" > "$d/driver/unbind"
    fi
    echo "$3" > "$d/driver_override"
    echo "$2" > "/sys/bus/$1/drivers_probe"
    [ -e "$d/driver" ] || fail "$2 did not bind to $3"
    drv=$(basename "$(readlink "$d/driver")")
    [ "$drv" = "$3" ] || fail "$2 bound to $drv, not $3"
    echo "l1-check: $2 -> $3, iommu_group $(basename "$(readlink "$d/iommu_group")")"
}

bind amba 9010000.pl031 vfio-amba
[ -c /dev/vfio/noiommu-0 ] || fail "no /dev/vfio/noiommu-0 after binding the pl031"
bind amba 9030000.pl061 vfio-amba
bind platform 9020000.fw-cfg vfio-platform
ls -l /dev/vfio
echo "--- L1 dmesg (vfio) ---"
dmesg | grep -i vfio
pass
