#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# e2e case pci-bad-input (run.py --nvme --pci-group): each mistake with -device vfio-pci gives a
# one-line error, a non-zero exit and no guest: the NVMe still bound to its host driver (the
# message names nvme and how to bind vfio-pci), a malformed address, an address with no device,
# and a non-viable group (one function of the multi-function slot 0000:00:02 given to vfio-pci,
# the other still on nvme: the message names the other one). A GICv2 guest: case pci-gicv2.
. /cases/lib.sh
guest="-M virt -m 128M -kernel /Image -initrd /l2.cpio.gz -append console=ttyAMA0"

# (a) still bound to the host's nvme driver: the message names the driver and how to bind vfio-pci.
drv=$(basename "$(readlink /sys/bus/pci/devices/0000:00:01.0/driver)")
[ "$drv" = nvme ] || fail "0000:00:01.0 is bound to '${drv:-nothing}' in L1, not nvme (run.py --nvme?)"
refused host-driver nvme vfio-pci -- -device vfio-pci,host=0000:00:01.0
grep -q driver_override /tmp/bad.out || fail "host-driver: the message does not say how to bind vfio-pci (driver_override)"

# (b) a malformed address, and one where L1 has no device.
refused malformed "00:zz.0" -- -device vfio-pci,host=00:zz.0
[ ! -e /sys/bus/pci/devices/0000:00:1f.0 ] || fail "L1 has a device at 0000:00:1f.0: pick another missing one"
refused missing "0000:00:1f.0" -- -device vfio-pci,host=0000:00:1f.0

# (c) a non-viable group: 02.0 on vfio-pci, 02.1 (same IOMMU group) still on nvme.
bind_vfio_pci 0000:00:02.0
[ -e "/sys/kernel/iommu_groups/$vfio_group/devices/0000:00:02.1" ] ||
    fail "0000:00:02.1 is not in 0000:00:02.0's IOMMU group $vfio_group (run.py --pci-group?)"
drv=$(basename "$(readlink /sys/bus/pci/devices/0000:00:02.1/driver)")
[ "$drv" = nvme ] || fail "0000:00:02.1 is bound to '${drv:-nothing}', not nvme"
refused non-viable "0000:00:02.1" -- -device vfio-pci,host=0000:00:02.0
rebind_host 0000:00:02.0 nvme

pass
