#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# e2e case pci-nvme (run.py --nvme): L0's NVMe, behind its SMMUv3, through L1's vfio-pci to
# L2: L2's nvme driver reads the marker L0 wrote at block 0, writes a fresh value at block 1
# with fsync, and its MSI-X vectors count; armpass's -d stats show every MSI-X vector on an
# irqfd (no userspace wakeup). Afterwards L1's own nvme driver reads block 1 back, and run.py
# checks L0's image too (ARMPASS-E2E-EXPECT-DISK).
# With MOVE=1 (case pci-reassign): L2 moves BAR 0 and rescans the bus before using the disk.
# With BACKEND=iommufd (case pci-iommufd, Linux 6.12): the device through its cdev and an
# iommufd IOAS (-object iommufd), not the legacy container and group; its -d stats dma line
# says "(iommufd)".
. /cases/lib.sh
bdf=0000:00:01.0
nvme_values
host_disk=$(nvme_disk $bdf) || fail "L1's nvme driver gave no namespace for $bdf"
[ "$(disk_read "$host_disk" 0)" = "$nvme_marker" ] || fail "L1 reads no marker at block 0 of $host_disk"
echo "L1: $host_disk holds the marker $nvme_marker at block 0"
bind_vfio_pci $bdf
case ${BACKEND:-legacy} in
iommufd)
    cdev=$(ls /sys/bus/pci/devices/$bdf/vfio-dev 2>/dev/null | head -n 1)
    [ -n "$cdev" ] && [ -c "/dev/vfio/devices/$cdev" ] ||
        fail "no VFIO device cdev for $bdf (/sys/bus/pci/devices/$bdf/vfio-dev): VFIO_DEVICE_CDEV?"
    [ -c /dev/iommu ] || fail "no /dev/iommu in L1: IOMMUFD?"
    echo "L1: $bdf has the cdev /dev/vfio/devices/$cdev"
    devargs="-object iommufd,id=io0 -device vfio-pci,host=$bdf,iommufd=io0" ;;
*) devargs="-device vfio-pci,host=$bdf" ;;
esac
l2args="l2.marker=$nvme_marker l2.write=$nvme_write"
[ -z "${MOVE:-}" ] || l2args="$l2args l2.move"
run_armpass 480 /tmp/l2.log -M virt,gic-version=3 -smp 2 -m 256M -d stats \
    -kernel /Image -initrd /l2.cpio.gz -append "console=ttyAMA0 quiet l2case=nvme $l2args" \
    $devargs
[ "$status" = 0 ] || fail "$(status_reason "$status" 480)"
check_nvme_guest
[ -z "${MOVE:-}" ] || grep -q '^L2-NVME: bar0 moved=yes' /tmp/l2-nvme.txt || fail "L2 did not move BAR 0"
check_nvme_stats $bdf
if [ "${BACKEND:-legacy}" = iommufd ]; then
    grep -q "vfio $bdf dma (iommufd): [1-9][0-9]* mappings" /tmp/stats.txt ||
        fail "no '-d stats' line 'vfio $bdf dma (iommufd): N mappings, ...': guest RAM not mapped through iommufd?"
fi
rebind_host $bdf nvme
host_disk=$(nvme_disk $bdf) || fail "after the run L1's nvme driver gave no namespace for $bdf"
got=$(disk_read "$host_disk" 1)
[ "$got" = "$nvme_write" ] || fail "L1 reads '$got' at block 1 of $host_disk, L2 wrote '$nvme_write'"
echo "L1: block 1 of $host_disk holds $got, written by L2"
echo "ARMPASS-E2E-EXPECT-DISK disk=nvm0 offset=4096 text=$nvme_write"
pass
