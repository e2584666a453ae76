#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Test-bed check of L1 alone for the vfio-pci cases (run.py --nvme --pci-group; no armpass):
# the NVMe is 0000:00:01.0 in a real IOMMU group behind L0's SMMUv3, L1's nvme driver reads
# L0's marker, the controller binds to vfio-pci (/dev/vfio/N) and back to nvme; the two
# functions of slot 2 share one group; and L2's script (l2cases/nvme.sh, with l2.move) works
# on the bare device in L1: marker, BAR move + rescan, write of block 1 (which run.py then
# finds in L0's image), MSI-X interrupts counting.
. /cases/lib.sh
bdf=0000:00:01.0
d=/sys/bus/pci/devices/$bdf
nvme_values
echo "pci-l1-check: $bdf class $(cat $d/class) vendor $(cat $d/vendor) device $(cat $d/device)," \
    "driver $(basename "$(readlink $d/driver)"), iommu_group $(basename "$(readlink $d/iommu_group)")," \
    "iommu $(basename "$(readlink $d/iommu)")"
[ "$(cat $d/class)" = 0x010802 ] || fail "$bdf is not an NVMe controller"
echo "--- L1 dmesg (smmu, iommu, nvme) ---"
dmesg | grep -iE 'smmu|iommu|nvme' | head -n 20
for g in /sys/kernel/iommu_groups/*; do
    echo "pci-l1-check: iommu group ${g##*/}: $(ls "$g/devices" | tr '\n' ' ')"
done
disk=$(nvme_disk $bdf) || fail "no namespace for $bdf in L1"
got=$(disk_read "$disk" 0)
[ "$got" = "$nvme_marker" ] || fail "L1 reads '$got' at block 0 of $disk, not the marker '$nvme_marker'"
echo "pci-l1-check: $disk block 0 holds the marker $got"

bind_vfio_pci $bdf
ls -l /dev/vfio
rebind_host $bdf nvme
disk=$(nvme_disk $bdf) || fail "no namespace for $bdf after rebinding nvme"
got=$(disk_read "$disk" 0)
[ "$got" = "$nvme_marker" ] || fail "after the rebind L1 reads '$got', not the marker"
echo "pci-l1-check: rebound to nvme, $disk block 0 holds the marker again"

# The multi-function pair: one group, both on nvme.
g0=$(basename "$(readlink /sys/bus/pci/devices/0000:00:02.0/iommu_group)")
g1=$(basename "$(readlink /sys/bus/pci/devices/0000:00:02.1/iommu_group)")
echo "pci-l1-check: 0000:00:02.0 group $g0 driver $(basename "$(readlink /sys/bus/pci/devices/0000:00:02.0/driver)")," \
    "0000:00:02.1 group $g1 driver $(basename "$(readlink /sys/bus/pci/devices/0000:00:02.1/driver)")"
[ -n "$g0" ] && [ "$g0" = "$g1" ] || fail "the two functions of slot 2 are not in one IOMMU group ($g0, $g1)"

# L2's script on the bare device (extracted from L2's image).
mkdir -p /tmp/l2root
(cd /tmp/l2root && zcat /l2.cpio.gz | cpio -id 2>/dev/null)
sh /tmp/l2root/l2cases/nvme.sh l2.marker="$nvme_marker" l2.write="$nvme_write" l2.move | tee /tmp/l2.log
check_nvme_guest
echo "ARMPASS-E2E-EXPECT-DISK disk=nvm0 offset=4096 text=$nvme_write"
pass
