#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Helpers for L2 cases (sourced, not a case itself).

# dt_base COMPAT: the guest-physical base (0x...) of the first device-tree node whose
# compatible list holds COMPAT, from its unit address (armpass names nodes NAME@BASE).
dt_base() {
    for f in /proc/device-tree/*/compatible /proc/device-tree/*/*/compatible; do
        [ -f "$f" ] || continue
        if tr '\0' '\n' < "$f" | grep -qx "$1"; then
            d=$(basename "$(dirname "$f")")
            echo "0x${d#*@}"
            return 0
        fi
    done
    return 1
}

# pl031_irq_count: the rtc-pl031 interrupt count over all CPUs (/proc/interrupts).
pl031_irq_count() {
    awk '/rtc-pl031/ { s = 0; for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) s += $i; print s }' \
        /proc/interrupts
}

# pl031_irq_in_flight BASE: unbinds L2's rtc-pl031 driver and makes the pl031 at BASE raise
# its (level) interrupt about a second later, leaving it asserted: nobody will clear it.
# Registers (ARM DDI 0224): DR 0x0, MR 0x4, IMSC 0x10, RIS 0x14, MIS 0x18 (ICR 0x1c, write-only).
pl031_irq_in_flight() {
    for dev in /sys/bus/amba/drivers/rtc-pl031/*; do
        [ -L "$dev" ] && basename "$dev" > /sys/bus/amba/drivers/rtc-pl031/unbind 2>/dev/null
    done
    now=$(/progs/mmio-abuse peek "$1" 0 | sed 's/.*= //')
    /progs/mmio-abuse poke "$1" 4 $((now + 1))
    /progs/mmio-abuse poke "$1" 0x10 1
    sleep 2
    echo "L2-IRQ-IN-FLIGHT: $(/progs/mmio-abuse peek "$1" 0x18)"
}

# virtio_name ID: the first virtio device (virtioN) whose device id is ID (0x0001 network,
# 0x0002 block; /sys/bus/virtio/devices/*/device), the name its interrupt has in
# /proc/interrupts under virtio-mmio. Returns 1 if there is none.
virtio_name() {
    for d in /sys/bus/virtio/devices/virtio*; do
        [ "$(cat "$d/device" 2>/dev/null)" = "$1" ] && { echo "${d##*/}"; return 0; }
    done
    return 1
}

# vnet_up: waits (60 s at most) for a virtio_net interface, brings it up and gets a DHCP lease
# from L0's user-mode network (udhcpc, its log in /tmp/dhcp.log). Prints "IFNAME IP"; returns
# 1 when there is no interface (nothing printed) or no lease (the interface's name only).
vnet_up() {
    _if=''
    for _ in $(seq 1 120); do
        for n in /sys/class/net/*; do
            [ "$(basename "$(readlink "$n/device/driver" 2>/dev/null)")" = virtio_net ] && _if=${n##*/}
        done
        [ -n "$_if" ] && break
        sleep 0.5
    done
    [ -n "$_if" ] || return 1
    ip link set lo up
    ip link set "$_if" up
    timeout 90 udhcpc -s /etc/udhcpc/default.script -i "$_if" -n -q -t 15 -T 3 > /tmp/dhcp.log 2>&1
    _lease=$(grep '^udhcpc-script: bound' /tmp/dhcp.log | head -n 1)
    if [ -z "$_lease" ]; then
        echo "$_if"
        return 1
    fi
    echo "$_if $(echo "$_lease" | sed 's/.* ip=\([^ ]*\).*/\1/')"
}

# nvme_bdf: the PCI address of the first NVMe controller (class 0x010802) on L2's bus; fails
# if there is none.
nvme_bdf() {
    for _d in /sys/bus/pci/devices/*; do
        if [ "$(cat "$_d/class" 2>/dev/null)" = 0x010802 ]; then echo "${_d##*/}"; return 0; fi
    done
    return 1
}

# nvme_namespace BDF TRIES: /dev/nvmeXn1 of the NVMe controller at BDF, once its driver has
# made the block device; polls every 0.25 s, TRIES times at most, and fails if none came.
nvme_namespace() {
    for _ in $(seq 1 "$2"); do
        for _n in /sys/bus/pci/devices/"$1"/nvme/nvme*/nvme*n1; do
            if [ -e "$_n" ] && [ -b "/dev/${_n##*/}" ]; then echo "/dev/${_n##*/}"; return 0; fi
        done
        sleep 0.25
    done
    return 1
}
