#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# e2e case pci-e1000e (run.py --e1000e): L0's e1000e (on a user-mode network that reaches
# nothing, restrict=on, whose DHCP server still answers) through vfio-pci to L2. L1 first gets
# a lease on the bare device (the bed works). L2 gets a DHCP lease (busybox udhcpc) twice: on
# MSI-X (armpass's -d stats: "vfio BDF msix V -> gsi G: irqfd, userspace wakeups 0" lines),
# and with e1000e.IntMode=0 on INTx ("vfio BDF intx -> SPI N (level): irqfd, userspace wakeups 0").
. /cases/lib.sh
bdf=0000:00:04.0
d=/sys/bus/pci/devices/$bdf
[ -e "$d" ] || fail "no $bdf in L1 (run.py --e1000e?)"
ifname=''
for _ in $(seq 1 20); do
    ifname=$(ls "$d/net" 2>/dev/null | head -n 1)
    [ -n "$ifname" ] && break
    sleep 0.5
done
[ -n "$ifname" ] || fail "L1's e1000e driver gave no interface for $bdf"
ip link set "$ifname" up
timeout 60 udhcpc -s /etc/udhcpc/default.script -i "$ifname" -n -q -t 10 -T 2 > /tmp/l1-dhcp.log 2>&1
cat /tmp/l1-dhcp.log
grep -q '^udhcpc-script: bound' /tmp/l1-dhcp.log || fail "L1 got no DHCP lease on $ifname (the bed's network)"
ip link set "$ifname" down
bind_vfio_pci $bdf
for mode in msix intx; do
    extra=''
    [ "$mode" = msix ] || extra='e1000e.IntMode=0 l2.intx'
    run_armpass 480 /tmp/l2.log -M virt,gic-version=3 -smp 2 -m 256M -d stats \
        -kernel /Image -initrd /l2.cpio.gz -append "console=ttyAMA0 quiet l2case=net $extra" \
        -device vfio-pci,host=$bdf
    [ "$status" = 0 ] || fail "$(status_reason "$status" 480) ($mode)"
    check_l2 L2-NET
    grep -q "^L2-NET: PASS .* irq_mode=$mode" /tmp/l2-L2-NET.txt || fail "L2's e1000e was not on $mode"
    if [ "$mode" = msix ]; then check_msix_stats $bdf 1; else check_intx_stats $bdf irqfd; fi
    echo "pci-e1000e: $mode: $(grep '^L2-NET: PASS' /tmp/l2-L2-NET.txt)"
done
rebind_host $bdf e1000e
pass
