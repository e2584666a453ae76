#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# e2e case pci-gicv2 (run.py --gic 2 --nvme): a GICv2 has no ITS, so vfio-pci's MSI-X has
# nowhere to go: armpass refuses the device with one line that says to use a GICv3, exits
# non-zero, and starts no guest.
. /cases/lib.sh
bind_vfio_pci 0000:00:01.0
timeout 60 /armpass -M virt,gic-version=2 -m 128M -kernel /Image -initrd /l2.cpio.gz \
    -append console=ttyAMA0 -device vfio-pci,host=0000:00:01.0 > /tmp/bad.out 2>&1
st=$?
cat /tmp/bad.out
[ "$st" != 0 ] && [ "$st" != 124 ] || fail "armpass exited $st, not an error"
err=$(grep '^armpass: ' /tmp/bad.out | tail -n 1)
case $err in
*ITS*gic-version=3*) ;;
*) fail "the message does not say that MSI-X needs an ITS (gic-version=3): $err" ;;
esac
[ "$(wc -l < /tmp/bad.out)" = 1 ] || fail "more than one line"
! grep -q 'ARMPASS-L2-UP\|Booting Linux' /tmp/bad.out || fail "a guest started"
rebind_host 0000:00:01.0 nvme
pass
