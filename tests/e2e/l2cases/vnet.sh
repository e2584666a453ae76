#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# L2 side of the direct-map case's network (l2case=vnet, or after vblk.sh with l2.vnet): L0's
# virtio-net-device passed through vfio-platform to a direct-mapped L2. Gets a DHCP lease from
# L0's user-mode network, then moves data over TCP both ways through L0's hostfwd ports with
# tests/testbed/run.py: receives run.py's l2.netbytes=N bytes on port 5000 and checks their
# sha256 against l2.netsha=HEX; serves 4 MiB of its own random bytes on port 5001, whose sha256
# it prints in "ARMPASS-E2E-TCP-GO bytes=N sha256=HEX" (run.py checks what it read).
# Prints "L2-VNET: ..." lines, the last "L2-VNET: PASS ..." or "L2-VNET: FAIL REASON".
netsha='' netbytes=''
for arg in $(cat /proc/cmdline); do
    case $arg in
    l2.netsha=*) netsha=${arg#l2.netsha=} ;;
    l2.netbytes=*) netbytes=${arg#l2.netbytes=} ;;
    esac
done
say() { echo "L2-VNET: $*"; }
bad() {
    echo "L2-VNET: FAIL $*"
    grep -E 'CPU|virtio' /proc/interrupts
    dmesg | grep -iE 'virtio|eth|net' | tail -n 30
    exit 1
}
. "$(dirname "$0")/lib.sh"
up=$(vnet_up)
st=$?
ifname=${up%% *}
sed 's/^/L2-VNET: dhcp: /' /tmp/dhcp.log 2>/dev/null
[ -n "$ifname" ] || bad "no virtio_net interface ($(ls /sys/class/net | tr '\n' ' '))"
[ "$st" = 0 ] || bad "no DHCP lease on $ifname"
ip=${up#* }
say "lease ip=$ip on $ifname"
dd if=/dev/urandom of=/tmp/out bs=1M count=4 2>/dev/null
outsha=$(sha256sum /tmp/out | cut -d' ' -f1)
nc -l -p 5000 > /tmp/in &
rx=$!
nc -l -p 5001 < /tmp/out > /dev/null &
tx=$!
sleep 1
echo "ARMPASS-E2E-TCP-GO bytes=$(wc -c < /tmp/out) sha256=$outsha"
i=0
while kill -0 $rx 2>/dev/null; do
    i=$((i + 1))
    [ $i -lt 600 ] || bad "run.py's data did not arrive on port 5000 within 120 s ($(wc -c < /tmp/in) bytes so far)"
    sleep 0.2
done
insha=$(sha256sum /tmp/in | cut -d' ' -f1)
inbytes=$(wc -c < /tmp/in)
[ "$inbytes" = "$netbytes" ] && [ "$insha" = "$netsha" ] ||
    bad "received $inbytes bytes with sha256 $insha on port 5000; run.py sent $netbytes bytes with sha256 $netsha"
# run.py reads all of /tmp/out and closes; give nc a moment, then it may go.
i=0
while kill -0 $tx 2>/dev/null && [ $i -lt 150 ]; do i=$((i + 1)); sleep 0.2; done
kill $tx 2>/dev/null
grep -E 'CPU|virtio' /proc/interrupts
count=$(awk '/virtio/ { for (k = 2; k <= NF && $k ~ /^[0-9]+$/; k++) s += $k } END { print s + 0 }' /proc/interrupts)
say "PASS ip=$ip received=$inbytes sha256=$insha sent=$(wc -c < /tmp/out) sha256=$outsha irq_count=$count"
