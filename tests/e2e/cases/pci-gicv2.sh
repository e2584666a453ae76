#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# e2e case pci-gicv2 (run.py --gic 2 --nvme): a GICv2 has no ITS, so MSI and MSI-X have
# nowhere to go: armpass says so in one line, hides the NVMe's MSI and MSI-X capabilities,
# and L2's nvme driver works on INTx (marker read, block 1 written, level
# interrupt lines of the GICv2), with armpass's INTx on an irqfd.
. /cases/lib.sh
bdf=0000:00:01.0
nvme_values
bind_vfio_pci $bdf
# L0's board has a GICv2 here, so L1 has no ITS to isolate MSIs with, and Type1 refuses the
# group unless told to accept that (a host fact, not the guest's: armpass's error says so).
timeout 60 /armpass -M virt,gic-version=2 -m 128M -kernel /Image -initrd /l2.cpio.gz \
    -device vfio-pci,host=$bdf > /tmp/bad.out 2>&1 && fail "Type1 accepted a group without MSI isolation"
grep -q 'allow_unsafe_interrupts' /tmp/bad.out || { cat /tmp/bad.out; fail "armpass did not say why Type1 refused the group"; }
echo Y > /sys/module/vfio_iommu_type1/parameters/allow_unsafe_interrupts
run_armpass 480 /tmp/l2.log -M virt,gic-version=2 -smp 2 -m 256M -d stats \
    -kernel /Image -initrd /l2.cpio.gz \
    -append "console=ttyAMA0 quiet l2case=nvme l2.intx l2.marker=$nvme_marker l2.write=$nvme_write" \
    -device vfio-pci,host=$bdf
[ "$status" = 0 ] || fail "$(status_reason "$status" 480)"
warn=$(tr -d '\r' < /tmp/l2.log | grep '^armpass: vfio .*no ITS')
case $warn in
*"gic-version=3"*) echo "pci-gicv2: armpass said: $warn" ;;
*) fail "armpass did not say that MSI needs a GICv3 with an ITS: '$warn'" ;;
esac
check_nvme_guest
grep -q '^L2-NVME: PASS .* irq_mode=intx' /tmp/l2-nvme.txt || fail "L2 was not on INTx"
check_intx_stats $bdf irqfd
rebind_host $bdf nvme
echo "ARMPASS-E2E-EXPECT-DISK disk=nvm0 offset=4096 text=$nvme_write"
pass
