#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Test-bed check with Debian's QEMU in L1 as the VMM instead of armpass (run.py --nvme
# --pci-group --l1-extra QEMU-TREE, the tree tests/bench/qemu-closure.py prints; not in the
# meson suite): the L2 side of the vfio-pci cases (l2cases/nvme.sh) passes under a known-good
# VMM, once plain and once with the BAR move (l2.move), L1 reads L2's block back, run.py finds
# it in L0's image; and QEMU refuses the non-viable group of slot 2.
. /cases/lib.sh
Q=/qemu/qemu-system-aarch64
[ -x $Q ] || fail "no $Q in L1 (run.py --l1-extra \$(tests/bench/qemu-closure.py | tail -n 1))"
Q="$Q -M virt,gic-version=3 -cpu host -enable-kvm -smp 2 -m 256M -display none -nodefaults -serial stdio -nic none -kernel /Image -initrd /l2.cpio.gz"
bdf=0000:00:01.0
nvme_values
bind_vfio_pci $bdf
for move in '' l2.move; do
    # shellcheck disable=SC2086
    timeout 300 $Q -append "console=ttyAMA0 quiet l2case=nvme l2.marker=$nvme_marker l2.write=$nvme_write $move" \
        -device vfio-pci,host=$bdf 2>&1 | tee /tmp/l2.log
    check_nvme_guest
    [ -z "$move" ] || grep -q '^L2-NVME: bar0 moved=yes' /tmp/l2-nvme.txt || fail "L2 did not move BAR 0"
done
rebind_host $bdf nvme
disk=$(nvme_disk $bdf) || fail "after the runs L1's nvme driver gave no namespace for $bdf"
got=$(disk_read "$disk" 1)
[ "$got" = "$nvme_write" ] || fail "L1 reads '$got' at block 1 of $disk, L2 wrote '$nvme_write'"
echo "L1: block 1 of $disk holds $got, written by L2"
echo "ARMPASS-E2E-EXPECT-DISK disk=nvm0 offset=4096 text=$nvme_write"
if [ -e /sys/bus/pci/devices/0000:00:02.0 ]; then
    bind_vfio_pci 0000:00:02.0
    # shellcheck disable=SC2086
    timeout 60 $Q -append console=ttyAMA0 -device vfio-pci,host=0000:00:02.0 > /tmp/nv.out 2>&1
    cat /tmp/nv.out
    grep -q 'not viable' /tmp/nv.out || fail "QEMU did not call group $vfio_group (0000:00:02.0 + 0000:00:02.1 on nvme) not viable"
    rebind_host 0000:00:02.0 nvme
fi
pass
