#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# L2 side of the benchmark's trapped-MMIO runs: times 32-bit reads of three registers, a batch
# of each in turn (bench.treads= reads per batch, bench.tbatches= rounds), inside the KVM-exit
# window "trapped": the pl031's data register and fw-cfg's data register, which armpass passes
# through and traps (the pl031 with x-no-mmap=on; fw-cfg's 0x18 bytes cannot be mapped), and
# the PL011's flag register (UARTFR, +0x18), which the VMM emulates itself: an exit and an
# emulated read, without VFIO's pread. Under QEMU all three are its own emulated devices (the
# reference).
reads=1000 batches=3
for arg in $(cat /proc/cmdline); do
    case $arg in
    bench.treads=*) reads=${arg#*=} ;;
    bench.tbatches=*) batches=${arg#*=} ;;
    esac
done
/progs/bench-mmio devmem "$reads" "$batches" trapped arm,pl031@0 qemu,fw-cfg-mmio@0 arm,pl011@0x18
