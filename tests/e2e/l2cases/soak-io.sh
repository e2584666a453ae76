#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# L2 side of e2e cases soak-qmp and soak-stopcont (docs/hardening.md, "Soak"): NVMe I/O that
# never stops. Finds the passed-through NVMe, then forever: reads the marker at block 0
# (l2.marker=HEX), writes "soak-io=K" at block 4 (fsync) and reads it back with O_DIRECT,
# reads 256 KiB more with O_DIRECT, and prints "L2-SOAK-IO: n=K marker=ok|bad write=ok|bad
# up=UPTIME real=EPOCH end" (UPTIME from /proc/uptime, REALTIME seconds from date), so that L1
# sees I/O go on, the data intact and the guest's clocks. The "end": L1 reads the console
# while it is written and judges only whole lines (the last one may be cut by QMP quit).
# L1 ends the guest (QMP quit).
. "$(dirname "$0")/lib.sh"
marker=''
for arg in $(cat /proc/cmdline); do
    case $arg in
    l2.marker=*) marker=${arg#l2.marker=} ;;
    esac
done
bad() { echo "L2-SOAK-IO: FAIL $*"; dmesg | grep -iE 'nvme|pci' | tail -n 20; exit 1; }
bdf=$(nvme_bdf) || bad "no NVMe controller (class 0x010802) on L2's PCI bus"
disk=$(nvme_namespace "$bdf" 240) || bad "the nvme driver gave no namespace within 60 s"
echo "L2-SOAK-IO: READY $disk ($bdf)"
k=0
while :; do
    k=$((k + 1))
    m=bad w=bad
    [ "$(dd if="$disk" bs=4096 count=1 iflag=direct 2>/dev/null | head -c 32)" = "$marker" ] && m=ok
    printf 'soak-io=%d' "$k" | dd of="$disk" bs=4096 seek=4 conv=notrunc,fsync,sync 2>/dev/null &&
        [ "$(dd if="$disk" bs=4096 skip=4 count=1 iflag=direct 2>/dev/null | head -c 32 | tr -d '\000')" = "soak-io=$k" ] &&
        w=ok
    dd if="$disk" of=/dev/null bs=65536 skip=16 count=4 iflag=direct 2>/dev/null
    read -r up _ < /proc/uptime
    echo "L2-SOAK-IO: n=$k marker=$m write=$w up=$up real=$(date +%s) end"
done
