#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# L2 side of pci-reboot (l2case=nvme-reboot): reads the marker (l2.marker=HEX) at block 0 of
# the passed-through NVMe, counts this boot in block 2 ("armpass-boot=N", written with fsync),
# prints "L2-NVME-REBOOT: boot=N marker=ok|bad ...", waits 3 s (L1 looks at armpass then), and
# resets (reboot -f) until N reaches l2.boots; then l2-init powers off.
marker='' boots=3
for arg in $(cat /proc/cmdline); do
    case $arg in
    l2.marker=*) marker=${arg#l2.marker=} ;;
    l2.boots=*) boots=${arg#l2.boots=} ;;
    esac
done
. "$(dirname "$0")/lib.sh"
bad() { echo "L2-NVME-REBOOT: FAIL $*"; dmesg | grep -iE 'nvme|pci' | tail -n 20; exit 1; }
bdf=$(nvme_bdf) || bad "no NVMe controller (class 0x010802) on L2's PCI bus"
disk=$(nvme_namespace "$bdf" 240) || bad "the nvme driver gave no namespace within 60 s"
got=$(dd if="$disk" bs=4096 count=1 iflag=direct 2>/dev/null | head -c 32)
ok=bad
[ "$got" = "$marker" ] && ok=ok
prev=$(dd if="$disk" bs=4096 skip=2 count=1 iflag=direct 2>/dev/null | head -c 32 | tr -d '\000')
case $prev in armpass-boot=*) n=$((${prev#armpass-boot=} + 1)) ;; *) n=1 ;; esac
printf 'armpass-boot=%d' "$n" | dd of="$disk" bs=4096 seek=2 conv=notrunc,fsync 2>/dev/null ||
    bad "writing block 2 failed"
irqs=$(grep -c nvme0q /proc/interrupts)
echo "L2-NVME-REBOOT: boot=$n marker=$ok (block 2 held '${prev:-nothing}'; $irqs nvme interrupt lines)"
sleep 3
[ "$n" -ge "$boots" ] || reboot -f
