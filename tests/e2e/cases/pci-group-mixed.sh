#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# e2e case pci-group-mixed (run.py --pci-group-mixed): one multi-function slot holding two kinds
# of device, an NVMe at 0000:00:02.0 and an AHCI at 0000:00:02.1: one IOMMU group in L1, two
# host drivers. Passing either one while the other stays on its host driver is a non-viable
# group: a one-line error naming the other device and its driver, a non-zero exit, no guest.
. /cases/lib.sh
guest="-M virt -m 128M -kernel /Image -initrd /l2.cpio.gz -append console=ttyAMA0"
nv=0000:00:02.0 ah=0000:00:02.1
for _ in $(seq 1 20); do
    [ -e /sys/bus/pci/devices/$nv/driver ] && [ -e /sys/bus/pci/devices/$ah/driver ] && break
    sleep 0.5
done
for pair in "$nv nvme" "$ah ahci"; do
    set -- $pair
    drv=$(basename "$(readlink /sys/bus/pci/devices/$1/driver 2>/dev/null)")
    [ "$drv" = "$2" ] || fail "$1 is bound to '${drv:-nothing}' in L1, not $2 (run.py --pci-group-mixed?)"
done
g0=$(basename "$(readlink /sys/bus/pci/devices/$nv/iommu_group)")
g1=$(basename "$(readlink /sys/bus/pci/devices/$ah/iommu_group)")
[ -n "$g0" ] && [ "$g0" = "$g1" ] || fail "$nv (group '$g0') and $ah (group '$g1') do not share an IOMMU group"
echo "L1: $nv (nvme) and $ah (ahci) share IOMMU group $g0"

# The NVMe passed, the AHCI on ahci: the message names 0000:00:02.1 and ahci.
bind_vfio_pci $nv
refused nvme-passed "not viable" "$ah" "ahci" -- -device vfio-pci,host=$nv
rebind_host $nv nvme
# The AHCI passed, the NVMe on nvme: the message names 0000:00:02.0 and nvme.
bind_vfio_pci $ah
refused ahci-passed "not viable" "$nv" "nvme" -- -device vfio-pci,host=$ah
rebind_host $ah ahci
pass
