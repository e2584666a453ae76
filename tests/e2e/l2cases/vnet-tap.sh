#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# L2 side of the virtio case's network (l2case=vnet-tap): the virtio-net-pci device on L1's
# tap (vhost-net): L2 takes 192.168.76.2/24 and pings L1 at 192.168.76.1.
# Prints "L2-VTAP: PASS ..." or "L2-VTAP: FAIL REASON".
say() { echo "L2-VTAP: $*"; }
bad() { echo "L2-VTAP: FAIL $*"; grep -E 'CPU|virtio' /proc/interrupts; dmesg | grep -iE 'virtio|eth' | tail -n 20; exit 1; }
ifname=''
for _ in $(seq 1 60); do
    for n in /sys/class/net/*; do
        [ "$(basename "$(readlink "$n/device/driver" 2>/dev/null)")" = virtio_net ] && ifname=${n##*/}
    done
    [ -n "$ifname" ] && break
    sleep 0.5
done
[ -n "$ifname" ] || bad "no virtio_net interface ($(ls /sys/class/net | tr '\n' ' '); $(ls /sys/bus/virtio/devices 2>/dev/null | tr '\n' ' '))"
ip link set "$ifname" up
ip addr add 192.168.76.2/24 dev "$ifname"
say "$ifname mac $(cat /sys/class/net/$ifname/address)"
for _ in $(seq 1 30); do
    ping -c 1 -W 1 192.168.76.1 > /dev/null 2>&1 && break
done
ping -c 3 -W 2 192.168.76.1 > /tmp/ping.txt 2>&1 || { cat /tmp/ping.txt; bad "no answer from L1 at 192.168.76.1"; }
grep -E 'CPU|virtio' /proc/interrupts
say "PASS $(grep 'packets transmitted' /tmp/ping.txt)"
