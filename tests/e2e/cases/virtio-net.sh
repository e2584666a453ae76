#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# e2e case virtio-net (docs/virtio.md): a virtio-net-pci device on a tap that armpass creates
# (tap0), its rings in L1's vhost-net: L2 pings L1 over it; in -d stats every queue's kick is
# an ioeventfd and every interrupt an irqfd, with no userspace wake-up.
. /cases/lib.sh
[ -c /dev/vhost-net ] || fail "no /dev/vhost-net in L1 (VHOST_NET)"
( i=0; while ! ip link show tap0 > /dev/null 2>&1 && [ $i -lt 600 ]; do i=$((i + 1)); sleep 0.1; done
  ip addr add 192.168.76.1/24 dev tap0 && ip link set tap0 up ) &
run_armpass 300 /tmp/l2.log -M virt,gic-version=3 -smp 2 -m 256M -d stats -kernel /Image \
    -initrd /l2.cpio.gz -append "console=ttyAMA0 quiet l2case=vnet-tap" \
    -netdev tap,id=n0,ifname=tap0,script=no,downscript=no,vhost=on -device virtio-net-pci,netdev=n0
[ "$status" = 0 ] || fail "$(status_reason "$status" 300)"
tr -d '\r' < /tmp/l2.log | grep '^L2-VTAP' > /tmp/vtap.txt
cat /tmp/vtap.txt
grep -q '^L2-VTAP: PASS' /tmp/vtap.txt || fail "L2: $(grep '^L2-VTAP: FAIL' /tmp/vtap.txt | head -n 1)"
tr -d '\r' < /tmp/l2.log | grep '^  virtio ' > /tmp/stats.txt
cat /tmp/stats.txt
[ "$(grep -c 'queue [0-9]*: ioeventfd, irqfd, userspace wakeups 0, trapped kicks 0$' /tmp/stats.txt)" = 2 ] ||
    fail "a virtio-net queue's kicks or interrupts went through armpass"
pass
