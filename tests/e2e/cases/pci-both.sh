#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# e2e case pci-both (run.py --nvme): the NVMe via vfio-pci (a real IOMMU group) and the pl031
# via vfio-amba (no-IOMMU) in one guest: both work.
. /cases/lib.sh
bdf=0000:00:01.0
nvme_values
bind_vfio amba 9010000.pl031 vfio-amba
bind_vfio_pci $bdf
before=$(date +%s)
run_armpass 480 /tmp/l2.log -M virt,gic-version=3 -smp 2 -m 256M -d stats \
    -kernel /Image -initrd /l2.cpio.gz \
    -append "console=ttyAMA0 quiet l2case=pci-both l2.marker=$nvme_marker l2.write=$nvme_write" \
    -device vfio-amba,host=9010000.pl031,noiommu=on \
    -device vfio-pci,host=$bdf
after=$(date +%s)
[ "$status" = 0 ] || fail "$(status_reason "$status" 480)"
check_nvme_guest
check_rtc_time "$before" "$after"
check_rtc_alarms
check_nvme_stats $bdf
rebind_host $bdf nvme
host_disk=$(nvme_disk $bdf) || fail "after the run L1's nvme driver gave no namespace for $bdf"
got=$(disk_read "$host_disk" 1)
[ "$got" = "$nvme_write" ] || fail "L1 reads '$got' at block 1 of $host_disk, L2 wrote '$nvme_write'"
echo "ARMPASS-E2E-EXPECT-DISK disk=nvm0 offset=4096 text=$nvme_write"
pass
