#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# e2e case direct-map (docs/passthrough.md, "Devices that do DMA with no IOMMU"; run.py
# --virtio-blk --virtio-net, L1 with 3 GiB and one 1 GiB hugetlb page): L0's virtio-blk-device
# and virtio-net-device sit on its virtio-mmio transports, platform devices in L1 that do DMA
# to L1-physical addresses with no IOMMU. L1's own drivers use them first; then both are bound
# to vfio-platform (no-IOMMU mode) and passed to one L2 whose RAM is the 1 GiB page at its
# L1-physical address (-M virt,direct-map=on):
#  1. block: L2's virtio_blk reads the marker L0 wrote and writes a block with fsync; L0's
#     image holds it after the run (EXPECT-DISK), and so does L1 once the transport is back on
#     its virtio_mmio driver;
#  2. network: L2 gets a DHCP lease over the passed NIC and moves 4 MiB each way over TCP with
#     run.py through L0's hostfwd ports, checksummed at both ends;
#  3. both devices' interrupts go through irqfds: 0 userspace wake-ups in -d stats;
#  4. without direct-map=on the device cannot work: armpass warns, the probe says why, and the
#     L2 driver is kept from it (its DMA would land in L1's own memory);
#  5. bad input: each refusal.
. /cases/lib.sh
fc=/sys/firmware/qemu_fw_cfg/by_name/opt/armpass
vmarker=$(cat $fc/vblk-marker/raw) && vwrite=$(cat $fc/vblk-write/raw) &&
    netsha=$(cat $fc/net-sha256/raw) && netbytes=$(cat $fc/net-bytes/raw) ||
    fail "no opt/armpass/vblk-* or net-* in L1's fw_cfg (run.py --virtio-blk --virtio-net)"
pool=/sys/kernel/mm/hugepages/hugepages-1048576kB
[ "$(cat $pool/free_hugepages 2>/dev/null)" = 1 ] || fail "L1 has no free 1 GiB page (run.py --append hugepagesz=1G hugepages=1)"

# The transports by their virtio device id: 2 block, 1 network.
blk=$(virtio_mmio_dev 0x0002) net=$(virtio_mmio_dev 0x0001)
[ -n "$blk" ] && [ -n "$net" ] || fail "L1 has no virtio-mmio block ('$blk') and network ('$net') device"
echo "L1: virtio-blk on $blk, virtio-net on $net; node $(tr '\0' ' ' < /sys/bus/platform/devices/$blk/of_node/compatible)$([ -e /sys/bus/platform/devices/$blk/of_node/dma-coherent ] && echo ', dma-coherent')"
host_disk=/dev/$(ls /sys/bus/platform/devices/$blk/virtio*/block 2>/dev/null | head -n 1)
[ -b "$host_disk" ] || fail "L1's virtio_blk gave no disk for $blk"
[ "$(disk_read "$host_disk" 0)" = "$vmarker" ] || fail "L1 reads no marker at block 0 of $host_disk"
echo "L1: $host_disk holds the marker $vmarker at block 0"

bind_vfio platform "$blk" vfio-platform
bind_vfio platform "$net" vfio-platform

# What the probe says of them now.
/armpass probe > /tmp/probe.txt 2>&1
awk -v d="== $blk " 'index($0, d) == 1 { on = 1; print; next } on && /^== / { exit } on' /tmp/probe.txt > /tmp/probe-blk.txt
cat /tmp/probe-blk.txt
# (the text wraps at 100 columns: read it as one line)
tr -s ' \n' '  ' < /tmp/probe-blk.txt | grep -q "does DMA (its node: [^)]*) with no IOMMU: needs an IOMMU, or a guest with -M virt,direct-map=on" ||
    fail "the probe does not say $blk does DMA with no IOMMU and needs an IOMMU or direct-map=on"
grep -q "direct-map=on .*-device vfio-platform,host=$blk,noiommu=on" /tmp/probe-blk.txt ||
    fail "the probe prints no command line with direct-map=on for $blk"

mem="-m 1G -object memory-backend-memfd,id=mem0,size=1G,hugetlb=on,hugetlbsize=1G -M virt,memory-backend=mem0,direct-map=on"
devs="-device vfio-platform,host=$blk,noiommu=on -device vfio-platform,host=$net,noiommu=on"
run_armpass 480 /tmp/l2.log -M virt,gic-version=3 -smp 2 -d stats $mem \
    -kernel /Image -initrd /l2.cpio.gz \
    -append "console=ttyAMA0 quiet l2case=vblk l2.marker=$vmarker l2.write=$vwrite l2.vnet l2.netsha=$netsha l2.netbytes=$netbytes" \
    $devs
[ "$status" = 0 ] || fail "$(status_reason "$status" 480)"
tr -d '\r' < /tmp/l2.log | grep -E '^L2-V(BLK|NET)' > /tmp/l2-v.txt
grep -q '^L2-VBLK: PASS' /tmp/l2-v.txt || fail "L2: $(grep '^L2-VBLK: FAIL' /tmp/l2-v.txt | head -n 1 | cut -c1-200)"
grep -q '^L2-VNET: PASS' /tmp/l2-v.txt || fail "L2: $(grep '^L2-VNET: FAIL' /tmp/l2-v.txt | head -n 1 | cut -c1-200)"
grep -E 'PASS|MemTotal|lease' /tmp/l2-v.txt
tr -d '\r' < /tmp/l2.log | grep -E '^  (guest RAM|vfio )' > /tmp/stats.txt
cat /tmp/stats.txt
grep -q '^  guest RAM direct-mapped: guest-physical = host-physical 0x[0-9a-f]*-0x[0-9a-f]* (1024 MiB)' /tmp/stats.txt ||
    fail "-d stats shows no 1 GiB direct-mapped run"
for d in $blk $net; do
    grep -q "vfio $d irq 0 -> SPI [0-9]* (edge): irqfd, userspace wakeups 0\$" /tmp/stats.txt ||
        fail "$d's interrupt did not go through an irqfd without waking armpass"
done
[ "$(cat $pool/free_hugepages)" = 1 ] || fail "the 1 GiB page did not come back after the run"

# Without direct-map: armpass warns; the L2 driver is kept off the device (initcall_blacklist),
# as its DMA would go to L1-physical addresses that are L1's own memory, not L2's RAM.
run_armpass 240 /tmp/l2-nodm.log -M virt,gic-version=3 -d stats -m 256M -kernel /Image -initrd /l2.cpio.gz \
    -append "console=ttyAMA0 quiet initcall_blacklist=virtio_blk_init" -device vfio-platform,host=$blk,noiommu=on
[ "$status" = 0 ] || fail "without direct-map: $(status_reason "$status" 240)"
warn=$(tr -d '\r' < /tmp/l2-nodm.log | grep "armpass: warning: .*$blk.*direct-map=on" | head -n 1)
echo "without direct-map: $warn"
[ -n "$warn" ] || fail "no warning that $blk does DMA with no IOMMU and needs direct-map=on"

# Bad input.
guest="-M virt -kernel /Image -initrd /l2.cpio.gz"
refused not-contiguous "direct-map=on needs physically contiguous guest RAM" "anonymous memory" -- \
    -m 256M -M virt,direct-map=on -device vfio-platform,host=$blk,noiommu=on
refused not-hugetlb "direct-map=on needs physically contiguous guest RAM" "4 KiB pages" -- \
    -m 256M -object memory-backend-memfd,id=m,size=256M -M virt,memory-backend=m,direct-map=on \
    -device vfio-platform,host=$blk,noiommu=on
refused no-noiommu-device "no -device is in a no-IOMMU group" -- $mem
REFUSED_PREFIX="/progs/capdrop 21"
refused no-cap-sys-admin "host-physical addresses" "CAP_SYS_ADMIN" -- $mem -device vfio-platform,host=$blk,noiommu=on
REFUSED_PREFIX=

# Back to L1's drivers: L1 reads what L2 wrote.
rebind_host_platform "$blk"
sleep 1
host_disk=/dev/$(ls /sys/bus/platform/devices/$blk/virtio*/block 2>/dev/null | head -n 1)
[ -b "$host_disk" ] || fail "after the run L1's virtio_blk gave no disk for $blk"
got=$(disk_read "$host_disk" 1)
[ "$got" = "$vwrite" ] || fail "L1 reads '$got' at block 1 of $host_disk, L2 wrote '$vwrite'"
echo "L1: block 1 of $host_disk holds $got, written by L2"
echo "ARMPASS-E2E-EXPECT-DISK disk=vd0 offset=4096 text=$vwrite"
pass
