#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# L2 side of e2e case soak-reboot (docs/hardening.md, "Soak"), run at every boot: reads the
# marker at block 0 of the passed-through NVMe (l2.marker=HEX), counts this boot in block 2
# ("soak-rb=N", fsync, read back with O_DIRECT), reads the passed-through pl031 (rtc0), prints
# "L2-SOAK-RB: boot=N marker=ok|bad write=ok|bad rtc=SECONDS", waits 2 s (L1 takes its
# snapshot of armpass then), and unless N reached l2.boots leaves the pl031's alarm interrupt
# asserted (pl031_irq_in_flight: "L2-IRQ-IN-FLIGHT: ..."), starts NVMe reads and a write in the
# background and resets (reboot -f) with them in flight. At l2.boots it holds: L1 quits armpass.
. "$(dirname "$0")/lib.sh"
marker='' boots=2
for arg in $(cat /proc/cmdline); do
    case $arg in
    l2.marker=*) marker=${arg#l2.marker=} ;;
    l2.boots=*) boots=${arg#l2.boots=} ;;
    esac
done
bad() { echo "L2-SOAK-RB: FAIL $*"; dmesg | grep -iE 'nvme|pci|rtc' | tail -n 20; exit 1; }
bdf=$(nvme_bdf) || bad "no NVMe controller (class 0x010802) on L2's PCI bus"
disk=$(nvme_namespace "$bdf" 240) || bad "the nvme driver gave no namespace within 60 s"
got=$(dd if="$disk" bs=4096 count=1 iflag=direct 2>/dev/null | head -c 32)
m=bad w=bad
[ "$got" = "$marker" ] && m=ok
prev=$(dd if="$disk" bs=4096 skip=2 count=1 iflag=direct 2>/dev/null | head -c 32 | tr -d '\000')
case $prev in soak-rb=*) n=$((${prev#soak-rb=} + 1)) ;; *) n=1 ;; esac
printf 'soak-rb=%d' "$n" | dd of="$disk" bs=4096 seek=2 conv=notrunc,fsync,sync 2>/dev/null &&
    [ "$(dd if="$disk" bs=4096 skip=2 count=1 iflag=direct 2>/dev/null | head -c 32 | tr -d '\000')" = "soak-rb=$n" ] &&
    w=ok
echo "L2-SOAK-RB: boot=$n marker=$m write=$w rtc=$(cat /sys/class/rtc/rtc0/since_epoch 2>/dev/null || echo none) (block 2 held '${prev:-nothing}')"
sleep 2
if [ "$n" -ge "$boots" ]; then
    echo "L2-SOAK-RB: holding at boot $n"
    while :; do sleep 3600; done
fi
rtc=$(dt_base arm,pl031) || bad "no pl031 node"
pl031_irq_in_flight "$rtc"
dd if="$disk" of=/dev/null bs=65536 count=512 iflag=direct 2>/dev/null &
dd if=/dev/zero of="$disk" bs=4096 seek=1024 count=256 oflag=direct 2>/dev/null &
sleep 0.1
reboot -f
