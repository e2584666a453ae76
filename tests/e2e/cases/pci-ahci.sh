#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# e2e case pci-ahci (run.py --ahci): L0's ich9-ahci (plain MSI, no MSI-X; an I/O BAR 4 holding
# the AHCI index/data pair) through vfio-pci to L2. L1 first reads the marker L0 wrote at block
# 0 of the disk (ahci driver), then, with the device unbound, VS (index 0x10) and CAP (index 0)
# through BAR 4 (sysfs resource4). In L2 the ahci driver reads the marker, its interrupt is a
# counting plain-MSI vector (msi_irqs says "msi", the MSI capability is enabled, no MSI-X), and
# VS and CAP read through L2's BAR 4 equal L1's. armpass's -d stats: every "vfio BDF msi V ->
# gsi G" line on "irqfd, userspace wakeups 0". Afterwards L1's ahci driver reads the disk again.
. /cases/lib.sh
bdf=0000:00:03.0
marker=$(cat /sys/firmware/qemu_fw_cfg/by_name/opt/armpass/ahci-marker/raw 2>/dev/null) ||
    fail "no opt/armpass/ahci-marker in L1's fw_cfg (run.py --ahci)"
disk=$(ata_disk $bdf) || fail "L1's ahci driver gave no disk for $bdf"
[ "$(disk_read "$disk" 0)" = "$marker" ] || fail "L1 reads no marker at block 0 of $disk"
echo "L1: $disk behind $bdf holds the marker $marker; interrupts: $(grep -E 'ahci' /proc/interrupts | tr -s ' ')"
echo "L1: msi_irqs of $bdf: $(cat /sys/bus/pci/devices/$bdf/msi_irqs/* 2>/dev/null | tr '\n' ' ')"
echo "$bdf" > /sys/bus/pci/devices/$bdf/driver/unbind
echo 1 > /sys/bus/pci/devices/$bdf/enable 2>/dev/null   # I/O decode for the sysfs accesses
vs=$(ahci_idp $bdf 0x10) cap=$(ahci_idp $bdf 0)
echo "L1: through BAR 4 (I/O): VS $vs CAP $cap"
[ -n "$vs" ] && [ "$vs" != 0xffffffff ] || fail "L1 cannot read VS through BAR 4 of $bdf"
echo 0 > /sys/bus/pci/devices/$bdf/enable 2>/dev/null
bind_vfio_pci $bdf
run_armpass 480 /tmp/l2.log -M virt,gic-version=3 -smp 2 -m 256M -d stats \
    -kernel /Image -initrd /l2.cpio.gz \
    -append "console=ttyAMA0 quiet l2case=ahci l2.marker=$marker l2.vs=$vs l2.cap=$cap" \
    -device vfio-pci,host=$bdf
[ "$status" = 0 ] || fail "$(status_reason "$status" 480)"
check_l2 L2-AHCI
check_msi_stats $bdf
rebind_host $bdf ahci
disk=$(ata_disk $bdf) || fail "after the run L1's ahci driver gave no disk for $bdf"
[ "$(disk_read "$disk" 0)" = "$marker" ] || fail "after the run L1 reads no marker at block 0 of $disk"
pass
