#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# L2 side of the demo case: shows what the guest sees (uptime, CPUs, the passed-through RTC,
# interrupts).
echo "=== L2: uptime $(cut -d' ' -f1 /proc/uptime) s, $(nproc) CPUs, kernel $(uname -r)"
echo "=== L2: /proc/cpuinfo (first lines)"
head -n 12 /proc/cpuinfo
echo "=== L2: the device tree node armpass made for the passed-through RTC"
for n in /proc/device-tree/pl031@*; do
    echo "$n: compatible = $(tr '\0' ' ' < "$n/compatible"), clock-names = $(tr '\0' ' ' < "$n/clock-names")"
done
echo "=== L2: reading the passed-through pl031 (mapped MMIO, no exit per access)"
echo "rtc0 is $(cat /sys/class/rtc/rtc0/name); it says $(cat /sys/class/rtc/rtc0/date) $(cat /sys/class/rtc/rtc0/time) UTC"
echo "=== L2: an alarm 2 s ahead (its interrupt comes through irqfd; its EOI through a resamplefd)"
echo +2 > /sys/class/rtc/rtc0/wakealarm
sleep 3
echo "=== L2: /proc/interrupts"
cat /proc/interrupts
if grep -q 'l2\.marker=' /proc/cmdline; then
    echo "=== L2: the passed-through NVMe (vfio-pci: BAR 0 mapped, MSI-X through the ITS, DMA through L0's SMMUv3)"
    for d in /sys/bus/pci/devices/*; do
        echo "${d##*/}: vendor $(cat "$d/vendor") device $(cat "$d/device") class $(cat "$d/class"), driver $(basename "$(readlink "$d/driver")")"
    done
    sh /l2cases/nvme.sh | grep -v '^L2-NVME: dmesg'
fi
