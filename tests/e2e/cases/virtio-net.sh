#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# e2e case virtio-net (docs/virtio.md): a virtio-net-pci device on a tap that armpass creates
# (tap0), its rings in L1's vhost-net: L2 pings L1 over it; in -d stats every queue's kick is
# an ioeventfd and every interrupt an irqfd, with no userspace wake-up. Then a QMP
# system_reset: the rebuilt VM's rings start again and L2 pings again, with armpass holding as
# many descriptors as in the first boot; and the same under -sandbox on.
. /cases/lib.sh
[ -c /dev/vhost-net ] || fail "no /dev/vhost-net in L1 (VHOST_NET)"
# tap_setup: once armpass has made tap0, L1 gives it 192.168.76.1/24 (armpass runs no scripts).
tap_setup() {
    ( i=0; while ! ip link show tap0 > /dev/null 2>&1 && [ $i -lt 600 ]; do i=$((i + 1)); sleep 0.1; done
      ip addr add 192.168.76.1/24 dev tap0 && ip link set tap0 up ) &
}
tap_setup
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

# A guest reset: everything stopped and started again, nothing left behind; the tap (and
# L1's address on it) stays, as armpass keeps it open across boots.
sock=/tmp/vnet-qmp.sock
tap_setup
/armpass -M virt,gic-version=3 -smp 2 -m 256M -kernel /Image -initrd /l2.cpio.gz \
    -append "console=ttyAMA0 quiet l2case=vnet-tap l2hold" -qmp unix:$sock,server=on,wait=off \
    -netdev tap,id=n0,ifname=tap0,script=no,downscript=no,vhost=on -device virtio-net-pci,netdev=n0 \
    > /tmp/l2-reset.log 2>&1 &
pid=$!
wait_pass() {
    i=0
    while [ "$(tr -d '\r' < /tmp/l2-reset.log | grep -c '^L2-VTAP: PASS')" -lt "$1" ]; do
        kill -0 $pid 2> /dev/null || { tail -n 20 /tmp/l2-reset.log; fail "armpass ended before ping $1"; }
        i=$((i + 1)); [ $i -lt 1500 ] || { tail -n 20 /tmp/l2-reset.log; kill $pid; fail "no ping $1"; }
        sleep 0.2
    done
}
wait_pass 1
fds1=$(ls /proc/$pid/fd | wc -l)
/progs/qmp-client --timeout 120 $sock '{"execute": "system_reset"}' > /tmp/q.out 2>&1 || { cat /tmp/q.out; fail "qmp system_reset"; }
wait_pass 2
fds2=$(ls /proc/$pid/fd | wc -l)
echo "armpass's descriptors after the first boot's ping: $fds1, after the second's: $fds2"
[ "$fds1" = "$fds2" ] || { ls -l /proc/$pid/fd; fail "armpass holds $fds2 descriptors after a reset, $fds1 before"; }
/progs/qmp-client --timeout 120 $sock '{"execute": "quit"}' > /tmp/q.out 2>&1
wait $pid

# -sandbox on: the run loop's filter lets the rings start (DRIVER_OK on a vCPU thread).
tap_setup
run_armpass 300 /tmp/l2.log -M virt,gic-version=3 -smp 2 -m 256M -sandbox on -kernel /Image \
    -initrd /l2.cpio.gz -append "console=ttyAMA0 quiet l2case=vnet-tap" \
    -netdev tap,id=n0,ifname=tap0,script=no,downscript=no,vhost=on -device virtio-net-pci,netdev=n0
[ "$status" = 0 ] || fail "-sandbox on: $(status_reason "$status" 300)"
tr -d '\r' < /tmp/l2.log | grep -q '^L2-VTAP: PASS' || fail "-sandbox on: L2 did not ping L1"
echo "-sandbox on: $(tr -d '\r' < /tmp/l2.log | grep '^L2-VTAP: PASS')"

# A guest without MSI-X (pci=nomsi): INTx and the ISR, relayed by armpass (counted).
tap_setup
run_armpass 300 /tmp/l2.log -M virt,gic-version=3 -smp 2 -m 256M -d stats -kernel /Image \
    -initrd /l2.cpio.gz -append "console=ttyAMA0 quiet pci=nomsi l2case=vnet-tap" \
    -netdev tap,id=n0,ifname=tap0,script=no,downscript=no,vhost=on -device virtio-net-pci,netdev=n0
[ "$status" = 0 ] || fail "pci=nomsi: $(status_reason "$status" 300)"
tr -d '\r' < /tmp/l2.log | grep -q '^L2-VTAP: PASS' || fail "pci=nomsi: L2 did not ping L1 on INTx"
tr -d '\r' < /tmp/l2.log | grep '^  virtio .*queue' | tee /tmp/stats.txt
grep -q 'queue 0: ioeventfd, no irqfd, userspace wakeups [1-9]' /tmp/stats.txt ||
    fail "pci=nomsi: the receive queue's interrupts were not relayed as INTx"
echo "pci=nomsi: $(tr -d '\r' < /tmp/l2.log | grep '^L2-VTAP: PASS')"
pass
