#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# L2 side of the benchmark's interrupt runs: raises the passed-through pl031's alarm interrupt
# bench.irqs= times in a tight loop (bench-mmio irq), inside the KVM-exit window "irq" (-busy,
# then -idle).
n=50
for arg in $(cat /proc/cmdline); do
    case $arg in
    bench.irqs=*) n=${arg#*=} ;;
    esac
done
/progs/bench-mmio irq "$n" irq
