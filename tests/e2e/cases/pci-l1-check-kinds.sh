#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Test-bed check of L1 alone for the device kinds of the newer vfio-pci cases (run.py --nvme
# --nvme-rom --ahci --e1000e; no armpass): the L2 scripts of pci-ahci (l2cases/ahci.sh: marker,
# plain MSI, VS/CAP through the I/O BAR), pci-e1000e (l2cases/net.sh: DHCP lease) and pci-rom
# (l2cases/rom.sh: the ROM's sha256) pass on the bare devices in L1, and so does the hostile
# program (tests/progs/pci-abuse.c) against the NVMe: the device still reads its marker after.
# With "pci=nomsi" in L1's command line (run.py --append pci=nomsi) the INTx variants run:
# l2cases/nvme.sh l2.intx and net.sh l2.intx.
. /cases/lib.sh
intx=''
grep -qw 'pci=nomsi' /proc/cmdline && intx=l2.intx
mkdir -p /tmp/l2root
(cd /tmp/l2root && zcat /l2.cpio.gz | cpio -id 2>/dev/null)
l2=/tmp/l2root/l2cases
for g in /sys/kernel/iommu_groups/*; do
    echo "pci-l1-check-kinds: iommu group ${g##*/}: $(ls "$g/devices" | tr '\n' ' ')"
done

# The NVMe: on INTx (pci=nomsi) the data and interrupt checks of nvme.sh.
nvme_values
if [ -n "$intx" ]; then
    sh $l2/nvme.sh l2.marker="$nvme_marker" l2.write="$nvme_write" l2.intx | tee /tmp/l2.log
    check_nvme_guest
fi

# The ROM.
sha=$(cat /sys/firmware/qemu_fw_cfg/by_name/opt/armpass/nvme-rom-sha256/raw 2>/dev/null) ||
    fail "no opt/armpass/nvme-rom-sha256 in L1's fw_cfg (run.py --nvme-rom)"
sh $l2/rom.sh l2.romsha="$sha" | tee /tmp/l2.log
check_l2 L2-ROM

# The AHCI (on plain MSI unless pci=nomsi: then ahci.sh must fail on its MSI check).
bdf=0000:00:03.0
marker=$(cat /sys/firmware/qemu_fw_cfg/by_name/opt/armpass/ahci-marker/raw 2>/dev/null) ||
    fail "no opt/armpass/ahci-marker in L1's fw_cfg (run.py --ahci)"
ata_disk $bdf > /dev/null || fail "L1's ahci driver gave no disk for $bdf"
vs=$(ahci_idp $bdf 0x10) cap=$(ahci_idp $bdf 0)
echo "pci-l1-check-kinds: $bdf through BAR 4 (driver bound): VS $vs CAP $cap"
if [ -z "$intx" ]; then
    sh $l2/ahci.sh l2.marker="$marker" l2.vs="$vs" l2.cap="$cap" | tee /tmp/l2.log
    check_l2 L2-AHCI
fi

# The e1000e.
sh $l2/net.sh $intx | tee /tmp/l2.log
check_l2 L2-NET

# The hostile program against the bare NVMe (its driver unbound), then the marker again.
nvme=/sys/bus/pci/devices/0000:00:01.0
echo 0000:00:01.0 > $nvme/driver/unbind
/progs/pci-abuse place $nvme 3 0x40000000 ram 0x08000000 0xfffffffffff00000 | tee /tmp/abuse.log
grep -q 'pci-abuse: place placements=12 ram_changed=0' /tmp/abuse.log || fail "pci-abuse place did not run through"
/progs/pci-abuse toggle $nvme 1000 | tee -a /tmp/abuse.log
[ -n "$intx" ] || /progs/pci-abuse msix $nvme 7 | tee -a /tmp/abuse.log
[ -n "$intx" ] || grep -q 'pci-abuse: msix sweep pages=[1-9]' /tmp/abuse.log || fail "pci-abuse msix did not run through"
rebind_host 0000:00:01.0 nvme
disk=$(nvme_disk 0000:00:01.0) || fail "no namespace for the NVMe after pci-abuse"
[ "$(disk_read "$disk" 0)" = "$nvme_marker" ] || fail "after pci-abuse L1 reads no marker"
pass
