#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# L2 side of the RTC cases: the passed-through pl031 is rtc0; read it, then set two alarms 2 s
# ahead and report the rtc-pl031 interrupt count before and after each.
rtc=/sys/class/rtc/rtc0
count() {
    awk '/rtc-pl031/ { s = 0; for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) s += $i; print s }' \
        /proc/interrupts
}
if [ ! -e $rtc ]; then
    echo "L2-RTC: no rtc0"; ls /sys/bus/amba/devices; exit 1
fi
echo "L2-RTC: name=$(cat $rtc/name) since_epoch=$(cat $rtc/since_epoch)"
c0=$(count)
echo 0 > $rtc/wakealarm; echo +2 > $rtc/wakealarm; sleep 4
c1=$(count)
echo 0 > $rtc/wakealarm; echo +2 > $rtc/wakealarm; sleep 4
c2=$(count)
echo "L2-RTC: irq_before=$c0 irq_after1=$c1 irq_after2=$c2"
grep -E 'CPU|rtc-pl031' /proc/interrupts
