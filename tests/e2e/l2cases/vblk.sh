#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# L2 side of the direct-map case (l2case=vblk): L0's virtio-blk-device, a virtio-mmio platform
# device that does DMA with no IOMMU, passed through vfio-platform to a direct-mapped L2: its
# virtio_blk driver must read the marker L0 wrote at block 0 (l2.marker=HEX) and write
# l2.write=HEX at block 1 (byte 4096) with fsync; then its interrupt must have counted.
# Prints "L2-VBLK: ..." lines, the last "L2-VBLK: PASS ..." or "L2-VBLK: FAIL REASON".
# With l2.vnet too, runs l2cases/vnet.sh afterwards (both devices in one guest).
marker='' write='' vnet=''
for arg in $(cat /proc/cmdline); do
    case $arg in
    l2.marker=*) marker=${arg#l2.marker=} ;;
    l2.write=*) write=${arg#l2.write=} ;;
    l2.vnet) vnet=1 ;;
    esac
done
say() { echo "L2-VBLK: $*"; }
bad() {
    echo "L2-VBLK: FAIL $*"
    grep -E 'CPU|virtio' /proc/interrupts
    dmesg | grep -iE 'virtio|vda|blk|dma|swiotlb' | tail -n 30
    exit 1
}
grep MemTotal /proc/meminfo | sed 's/^/L2-VBLK: /'
for _ in $(seq 1 120); do [ -b /dev/vda ] && break; sleep 0.5; done
[ -b /dev/vda ] || bad "no /dev/vda: the virtio-mmio device was not probed ($(ls /sys/bus/virtio/devices 2>/dev/null | tr '\n' ' '))"
say "disk /dev/vda, $(cat /sys/block/vda/size) sectors"
got=$(dd if=/dev/vda bs=4096 skip=0 count=1 iflag=direct 2>/dev/null | head -c 32)
[ "$got" = "$marker" ] || bad "block 0 holds '$got', not the marker $marker that L0 wrote"
say "marker=$got read at block 0"
printf '%s' "$write" | dd of=/dev/vda bs=4096 seek=1 conv=notrunc,fsync 2>/dev/null ||
    bad "writing block 1 failed"
back=$(dd if=/dev/vda bs=4096 skip=1 count=1 iflag=direct 2>/dev/null | head -c 32)
[ "$back" = "$write" ] || bad "block 1 reads back '$back' after writing '$write'"
grep -E 'CPU|virtio' /proc/interrupts
count=$(awk '/virtio/ { for (k = 2; k <= NF && $k ~ /^[0-9]+$/; k++) s += $k } END { print s + 0 }' /proc/interrupts)
[ "$count" -gt 0 ] || bad "no virtio interrupt fired"
say "PASS marker=$marker wrote=$write irq_count=$count"
[ -z "$vnet" ] || exec sh /l2cases/vnet.sh
