#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# L2 side of the vcpu-features case: this CPU's /proc/cpuinfo Features line, the PMUs the
# kernel found, /progs/cpu-check's lines (cycles counted, an SVE reduction, pointer
# authentication), the PMU's overflow interrupts meanwhile, then "L2-CPU: done"; with
# l2.reboot on the command line, a guest reset (PSCI SYSTEM_RESET) after them, every boot: L1
# decides when to stop.
echo "L2-CPU: $(grep -m 1 '^Features' /proc/cpuinfo | tr -s ' \t' ' ')"
echo "L2-CPU: pmus=$(ls /sys/bus/event_source/devices 2>/dev/null | tr '\n' ',')"
# pmu_irq: "COUNT INTID" of the PMU's overflow interrupt (arm-pmu in /proc/interrupts).
pmu_irq() {
    awk '/arm-pmu/ { s = 0; for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) s += $i; print s, $(i + 1) }' \
        /proc/interrupts
}
before=$(pmu_irq)
/progs/cpu-check | sed 's/^/L2-/'
after=$(pmu_irq)
if [ -n "$after" ]; then
    echo "L2-CPU: pmu_irq intid=${after#* } overflows=$((${after% *} - ${before% *}))"
else
    echo "L2-CPU: pmu_irq intid=none overflows=0"
fi
echo "L2-CPU: done"
case " $(cat /proc/cmdline) " in
*" l2.reboot "*) reboot -f ;;
esac
