#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# L2 side of the guest-memory case (l2case=mem): touches l2.fill=MiB of its RAM (a file in
# tmpfs), says "L2-MEM: filled N MiB" and holds for l2.hold=S seconds (L1 reads armpass's
# smaps meanwhile), then runs the NVMe case (l2cases/nvme.sh: read the marker, write a block).
fill=0 hold=0
for arg in $(cat /proc/cmdline); do
    case $arg in
    l2.fill=*) fill=${arg#l2.fill=} ;;
    l2.hold=*) hold=${arg#l2.hold=} ;;
    esac
done
if [ "$fill" -gt 0 ]; then
    mkdir -p /tmp/fill && mount -t tmpfs -o size=$((fill + 16))m none /tmp/fill &&
        dd if=/dev/zero of=/tmp/fill/f bs=1M count="$fill" 2>/dev/null ||
        echo "L2-MEM: FAIL could not fill $fill MiB"
    echo "L2-MEM: filled $fill MiB (MemFree now $(awk '/MemFree/ { print $2 }' /proc/meminfo) kB)"
fi
sleep "$hold"
rm -f /tmp/fill/f
exec sh /l2cases/nvme.sh
