#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# L2 side of the benchmark's PCI runs (bench-lib.sh: bench_pci, bench_backing_reads): O_DIRECT
# reads of the passed-through disk with bench-blk, each inside a KVM-exit window that bench-run
# counts directly (tests/progs/bench-blk.c): first an "empty" window (no reads: what a window
# costs by itself), then 4 KiB random reads at queue depth 1 (bench.qd1= reads, window "qd1"),
# at queue depth 32 (32 threads at depth 1, bench.qd32= reads, window "qd32"), and 1 MiB
# sequential reads (bench.seq= reads, window "seq"), each followed by a quiet 300 ms window
# ("NAME-after"). bench.irq=WORD: the /proc/interrupts lines to count (default nvme);
# bench.disk=NAME: the block device (default: the first NVMe namespace).
qd1=200 qd32=400 seq=16 irq=nvme disk=''
for arg in $(cat /proc/cmdline); do
    case $arg in
    bench.qd1=*) qd1=${arg#*=} ;;
    bench.qd32=*) qd32=${arg#*=} ;;
    bench.seq=*) seq=${arg#*=} ;;
    bench.irq=*) irq=${arg#*=} ;;
    bench.disk=*) disk=${arg#*=} ;;
    esac
done
dev=''
for _ in $(seq 1 60); do
    if [ -n "$disk" ]; then
        [ -b "/dev/$disk" ] && dev=/dev/$disk
    else
        for n in /sys/class/block/nvme*n1; do
            [ -e "$n" ] && [ -b "/dev/${n##*/}" ] && dev=/dev/${n##*/} && break
        done
    fi
    [ -n "$dev" ] && break
    sleep 0.5
done
if [ -z "$dev" ]; then
    echo "BENCH-BLK-ERROR no disk in L2"
    grep -E 'CPU|nvme|ahci' /proc/interrupts
    exit 1
fi
export BENCH_IRQ_MATCH=$irq
/progs/bench-blk "$dev" empty empty
/progs/bench-blk "$dev" rand 1 "$qd1" 4096 qd1
/progs/bench-blk "$dev" rand 32 "$qd32" 4096 qd32
/progs/bench-blk "$dev" seq "$seq" 1048576 seq
# How the interrupts came (ITS-MSI / ITS-PCI-MSIX / GICv3 ... Level): one line each.
grep "$irq" /proc/interrupts | sed -n '1p;2p' | while IFS= read -r l; do
    echo "BENCH-BLK-INTR $(echo "$l" | tr -s ' ')"
done
