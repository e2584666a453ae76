#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# e2e case pci-intx (run.py --nvme): the NVMe through vfio-pci to an L2 booted with pci=nomsi,
# so that its nvme driver falls back to INTx: the data checks of pci-nvme (marker at block 0,
# a write at block 1 with fsync) and a counting "GICv3 N Level nvme0q0" line in L2, no ITS line.
# Two armpass runs: INTx on the kernel path (armpass's -d stats: "vfio BDF intx -> SPI N
# (level): irqfd, userspace wakeups 0"), then with x-irqfd=off, the userspace fallback (the
# same line says "userspace", counts wakeups and completions by trapped access, and L2's
# handler runs about as often as with the irqfd). L1's nvme driver reads L2's block back.
. /cases/lib.sh
bdf=0000:00:01.0
nvme_values
host_disk=$(nvme_disk $bdf) || fail "L1's nvme driver gave no namespace for $bdf"
[ "$(disk_read "$host_disk" 0)" = "$nvme_marker" ] || fail "L1 reads no marker at block 0 of $host_disk"
bind_vfio_pci $bdf
for mode in irqfd userspace; do
    opts=''
    [ "$mode" = irqfd ] || opts=',x-irqfd=off'
    run_armpass 480 /tmp/l2.log -M virt,gic-version=3 -smp 2 -m 256M -d stats \
        -kernel /Image -initrd /l2.cpio.gz \
        -append "console=ttyAMA0 quiet pci=nomsi l2case=nvme l2.intx l2.marker=$nvme_marker l2.write=$nvme_write" \
        -device "vfio-pci,host=$bdf$opts"
    [ "$status" = 0 ] || fail "$(status_reason "$status" 480) (INTx, $mode)"
    check_nvme_guest
    grep -q '^L2-NVME: PASS .* irq_mode=intx' /tmp/l2-nvme.txt || fail "L2 was not on INTx ($mode)"
    check_intx_stats $bdf $mode
    count=$(grep -o 'irq_count=[0-9]*' /tmp/l2-nvme.txt | cut -d= -f2)
    echo "pci-intx: INTx via $mode: L2 read the marker, wrote block 1; $count handler entries"
    if [ "$mode" = irqfd ]; then
        irqfd_count=$count
    elif [ "$count" -gt $((2 * irqfd_count + 10)) ]; then
        # The fallback completes an interrupt on the guest's first access to the device: about
        # one handler entry per interrupt, as with the irqfd (a timed resample gave 100x).
        fail "the userspace fallback took L2's handler $count times, the irqfd path $irqfd_count"
    fi
done
rebind_host $bdf nvme
host_disk=$(nvme_disk $bdf) || fail "after the runs L1's nvme driver gave no namespace for $bdf"
got=$(disk_read "$host_disk" 1)
[ "$got" = "$nvme_write" ] || fail "L1 reads '$got' at block 1 of $host_disk, L2 wrote '$nvme_write'"
echo "ARMPASS-E2E-EXPECT-DISK disk=nvm0 offset=4096 text=$nvme_write"
pass
