#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# L2 side of the benchmark's passed-virtio part (bench-lib.sh: bench_passed_virtio): L0's
# virtio-blk-device and virtio-net-device, virtio-mmio platform devices that do DMA with no
# IOMMU, passed through vfio-platform to a direct-mapped L2. Each test inside a KVM-exit window
# that bench-run counts (as l2cases/bench-blk.sh does):
#   block   bench-blk on /dev/vda: an "empty" window (what a window costs by itself), 4 KiB
#           random reads at queue depth 1 (bench.qd1= reads, window "qd1") and 1 MiB sequential
#           reads (bench.seq= reads, window "seq")
#   network a DHCP lease, then tcp-xfer bench against the benchmark's peer on the host
#           (10.0.2.100:7000, run.py --net-peer): bench.netbytes= bytes received ("net-rx") and
#           sent ("net-tx"), bench.pings= round trips of one byte ("net-rtt")
# Each device's interrupts are counted on its own /proc/interrupts line (virtioN).
. "$(dirname "$0")/lib.sh"
qd1=200 seq=16 netbytes=4194304 pings=200
for arg in $(cat /proc/cmdline); do
    case $arg in
    bench.qd1=*) qd1=${arg#*=} ;;
    bench.seq=*) seq=${arg#*=} ;;
    bench.netbytes=*) netbytes=${arg#*=} ;;
    bench.pings=*) pings=${arg#*=} ;;
    esac
done
for _ in $(seq 1 60); do [ -b /dev/vda ] && break; sleep 0.5; done
if blk=$(virtio_name 0x0002) && [ -b /dev/vda ]; then
    echo "BENCH-VIRTIO-STEP block: /dev/vda on $blk"
    export BENCH_IRQ_MATCH=$blk
    /progs/bench-blk /dev/vda empty empty
    /progs/bench-blk /dev/vda rand 1 "$qd1" 4096 qd1
    /progs/bench-blk /dev/vda seq "$seq" 1048576 seq
else
    echo "BENCH-VIRTIO-ERROR no virtio-blk disk in L2"
fi
echo "BENCH-VIRTIO-STEP network: a DHCP lease"
if net=$(virtio_name 0x0001) && up=$(vnet_up); then
    echo "BENCH-VIRTIO-STEP network: $up on $net; tcp-xfer bench"
    BENCH_IRQ_MATCH=$net /progs/tcp-xfer bench 10.0.2.100 7000 "$netbytes" "$pings" ||
        echo "BENCH-VIRTIO-ERROR tcp-xfer bench failed (status $?)"
else
    echo "BENCH-VIRTIO-ERROR no virtio-net lease in L2: $(cat /tmp/dhcp.log 2>/dev/null | tail -n 3 | tr '\n' ' ')"
fi
# How the interrupts came: one line each.
grep virtio /proc/interrupts | while IFS= read -r l; do
    echo "BENCH-VIRTIO-INTR $(echo "$l" | tr -s ' ')"
done
