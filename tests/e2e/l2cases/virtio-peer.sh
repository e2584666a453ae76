#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# L2 side of virtio-peer (l2case=virtio-peer l2.token=HEX): L2 booted with no initrd from an
# ext4 root on a vhost-user-blk disk (root=/dev/vda rw init=/init, the disk served by
# qemu-storage-daemon in L1), with a virtio-net NIC on L1's tap0 (vhost-net) and a
# vhost-vsock device (this guest's CID: l2.cid, default 3; L1 is CID 2).
#
# Every boot: the virtio PCI functions (vendor 0x1af4) with their device IDs and drivers, and
# what / is ("L2-VIRTIO: boot=N root=... queues=Q pci=...").
# Boot 1: writes "armpass-virtio-token=HEX boot=1" to /root/virtio-peer-boot, syncs and
#   resets (reboot -f).
# Boot 2: the file must hold that line (it came back from the disk, across the reset), then
#   with L1 (tests/e2e/cases/virtio-peer.sh) driving the other ends:
#   net:   192.168.76.2/24 on the virtio_net interface, ping L1 (192.168.76.1) until it
#          answers (about 60 s at most), then 3 pings
#   tcp:   2 MiB of random bytes to L1's port 5300 ("tcp tx bytes=N sha256=HEX"), then 2 MiB
#          from L1 on port 5301 ("tcp rx ready", then "tcp rx bytes=N sha256=HEX")
#   vsock: a message to CID 2 port 5200 (L1's vsock-echo answers), then a listener on port
#          5201 ("vsock rx ready") that L1 connects to
# Then each function's interrupt count and kind ("irqs virtio_blk=N:msi ..."; msi: every line
# on the ITS). Prints "L2-VIRTIO: ..." lines, the last "L2-VIRTIO: PASS ..." or "L2-VIRTIO: FAIL REASON";
# L1 compares the checksums and messages with its own.
token='' cid=3
for arg in $(cat /proc/cmdline); do
    case $arg in
    l2.token=*) token=${arg#l2.token=} ;;
    l2.cid=*) cid=${arg#l2.cid=} ;;
    esac
done
L1_IP=192.168.76.1 L2_IP=192.168.76.2
say() { echo "L2-VIRTIO: $*"; }
bad() {
    echo "L2-VIRTIO: FAIL $*"
    grep -E 'CPU|virtio' /proc/interrupts
    dmesg | grep -iE 'virtio|vda|ext4|vsock|eth' | tail -n 20
    exit 1
}
[ -n "$token" ] || bad "no l2.token= on the command line"

# The virtio PCI functions: BDF=vendor:device:driver-of-its-virtio-child.
pci=''
for d in /sys/bus/pci/devices/*; do
    [ "$(cat "$d/vendor")" = 0x1af4 ] || continue
    drv=$(basename "$(readlink "$d"/virtio*/driver 2>/dev/null)")
    pci="$pci ${d##*/}=$(cat "$d/device"):${drv:-none}"
done
root=$(awk '$2 == "/" { print $1 ":" $3 ":" substr($4, 1, 2) }' /proc/mounts | tail -n 1)
queues=$(ls -d /sys/block/vda/mq/* 2>/dev/null | wc -l)
f=/root/virtio-peer-boot
prev=$(cat $f 2>/dev/null)
case $prev in
'') boot=1 ;;
"armpass-virtio-token=$token boot=1") boot=2 ;;
*) boot=0 ;;
esac
say "boot=$boot root=$root queues=$queues pci=${pci# }"
[ -b /dev/vda ] || bad "no /dev/vda"
case $root in *:ext4:rw) ;; *) bad "/ is $root, not ext4 mounted rw" ;; esac
[ "$boot" != 0 ] || bad "$f holds '$prev', not this run's token ($token) from boot 1"
if [ "$boot" = 1 ]; then
    echo "armpass-virtio-token=$token boot=1" > $f && sync || bad "writing $f failed"
    say "boot=1 wrote '$(cat $f)' to $f; resetting (reboot -f)"
    reboot -f
    sleep 10
    bad "reboot -f returned"
fi
say "boot=2 kept '$prev' in $f across the reset"
echo "armpass-virtio-token=$token boot=2" > $f && sync || bad "writing $f failed"

ifname=''
for n in /sys/class/net/*; do
    [ "$(basename "$(readlink "$n/device/driver" 2>/dev/null)")" = virtio_net ] && ifname=${n##*/}
done
[ -n "$ifname" ] || bad "no virtio_net interface ($(ls /sys/class/net | tr '\n' ' '))"
ip link set lo up
ip addr add $L2_IP/24 dev "$ifname" && ip link set "$ifname" up || bad "cannot configure $ifname"
i=0
until ping -c 1 -W 1 $L1_IP > /dev/null 2>&1; do
    i=$((i + 1))
    [ $i -lt 40 ] || bad "L1 ($L1_IP) does not answer pings on $ifname within 60 s"
    sleep 0.5
done
p=$(ping -c 3 -W 2 $L1_IP 2>&1 | grep 'packets transmitted')
say "net $ifname $L2_IP mac=$(cat /sys/class/net/"$ifname"/address): ping $L1_IP ok after $i failed: $p"
case $p in *' 3 packets received'*) ;; *) bad "ping $L1_IP: $p" ;; esac

dd if=/dev/urandom of=/tmp/out bs=1M count=2 2>/dev/null
say "tcp tx bytes=$(wc -c < /tmp/out) sha256=$(sha256sum /tmp/out | cut -d' ' -f1)"
/progs/tcp-xfer send $L1_IP 5300 60 < /tmp/out || bad "sending 2 MiB to $L1_IP:5300 failed"
/progs/tcp-xfer recv 5301 120 > /tmp/in &
rx=$!
say "tcp rx ready on port 5301"
wait $rx || bad "receiving on port 5301 failed"
say "tcp rx bytes=$(wc -c < /tmp/in) sha256=$(sha256sum /tmp/in | cut -d' ' -f1)"

out=$(/progs/vsock-echo connect 2 5200 "l2-to-l1-$token" 60) || bad "vsock to CID 2 port 5200: $out"
echo "$out"
say "vsock tx ok"
/progs/vsock-echo listen 5201 1 120 > /tmp/vsock.log &
vrx=$!
i=0
until grep -q listening /tmp/vsock.log 2>/dev/null; do
    i=$((i + 1))
    [ $i -lt 50 ] || bad "vsock-echo did not listen on port 5201"
    sleep 0.1
done
say "vsock rx ready on port 5201 (cid $cid)"
wait $vrx
st=$?
cat /tmp/vsock.log
[ $st = 0 ] || bad "vsock listener on port 5201: status $st"
grep -q "^VSOCK-ECHO: from cid 2 port [0-9]* to cid $cid port 5201: l1-to-l2-$token\$" /tmp/vsock.log ||
    bad "vsock: no message l1-to-l2-$token from CID 2 on port 5201"
grep -E 'CPU|virtio' /proc/interrupts
# Each function's interrupts: their sum over every CPU and line, and "msi" if every line is on
# the ITS (MSI-X), else "intx".
irqs=''
for d in /sys/bus/pci/devices/*; do
    [ "$(cat "$d/vendor")" = 0x1af4 ] || continue
    v=$(basename "$(ls -d "$d"/virtio* | head -n 1)")
    drv=$(basename "$(readlink "$d/$v/driver" 2>/dev/null)")
    n=$(awk -v v="$v" '$NF ~ "^" v "(-|,|$)" {
            for (k = 2; k <= NF && $k ~ /^[0-9]+$/; k++) s += $k
            if ($0 !~ /ITS/) intx = 1
        } END { print s + 0 ":" (intx ? "intx" : "msi") }' /proc/interrupts)
    irqs="$irqs ${drv:-none}=$n"
done
say "irqs${irqs}"
say "PASS boot=2 root=$root queues=$queues net=$ifname vsock-cid=$cid"
