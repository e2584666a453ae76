#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# L2 side of the benchmark's mapped-MMIO runs: times 32-bit reads of the passed-through pl031's
# data register through /dev/mem (bench-mmio devmem; bench.reads= reads per batch,
# bench.batches= batches), inside the KVM-exit window "mapped" (-busy, then -idle).
reads=100000 batches=5
for arg in $(cat /proc/cmdline); do
    case $arg in
    bench.reads=*) reads=${arg#*=} ;;
    bench.batches=*) batches=${arg#*=} ;;
    esac
done
/progs/bench-mmio devmem "$reads" "$batches" mapped arm,pl031@0
