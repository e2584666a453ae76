#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# L2 side of pci-e1000e (l2case=net): the passed-through network controller (class 0x020000)
# gets a DHCP lease from L0's user-mode network (busybox udhcpc, tests/testbed/udhcpc.script)
# and its interrupts count: on MSI-X by default, on a level line of the GICv3 with l2.intx
# (e1000e.IntMode=0). Last line: "L2-NET: PASS ip=... irq_mode=msix|intx ..." or "L2-NET: FAIL ...".
intx=''
for arg in $(cat /proc/cmdline) "$@"; do
    case $arg in l2.intx) intx=1 ;; esac
done
say() { echo "L2-NET: $*"; }
bad() {
    echo "L2-NET: FAIL $*"
    grep -E 'CPU|eth' /proc/interrupts
    dmesg | grep -iE 'e1000e|eth|pci' | tail -n 30
    exit 1
}
bdf=''
for d in /sys/bus/pci/devices/*; do
    if [ "$(cat "$d/class" 2>/dev/null)" = 0x020000 ]; then bdf=${d##*/}; break; fi
done
[ -n "$bdf" ] || { ls -l /sys/bus/pci/devices; bad "no Ethernet controller (class 0x020000) on L2's PCI bus"; }
dev=/sys/bus/pci/devices/$bdf
ifname=''
for _ in $(seq 1 60); do
    ifname=$(ls "$dev/net" 2>/dev/null | head -n 1)
    [ -n "$ifname" ] && break
    sleep 0.5
done
[ -n "$ifname" ] || bad "the driver ($(basename "$(readlink "$dev/driver" 2>/dev/null)")) gave no interface for $bdf"
say "controller $bdf vendor=$(cat "$dev/vendor") device=$(cat "$dev/device") interface $ifname"
ip link set "$ifname" up
timeout 90 udhcpc -s /etc/udhcpc/default.script -i "$ifname" -n -q -t 15 -T 3 > /tmp/dhcp.log 2>&1
sed 's/^/L2-NET: dhcp: /' /tmp/dhcp.log
lease=$(grep '^udhcpc-script: bound' /tmp/dhcp.log | head -n 1)
[ -n "$lease" ] || bad "no DHCP lease on $ifname"
ip=$(echo "$lease" | sed 's/.* ip=\([^ ]*\).*/\1/')
ip addr show "$ifname" | grep -q "inet $ip/" || bad "$ifname does not carry the leased $ip"
grep -E "CPU|$ifname" /proc/interrupts
count=$(awk -v i="$ifname" '$NF ~ "^" i { for (k = 2; k <= NF && $k ~ /^[0-9]+$/; k++) s += $k } END { print s + 0 }' /proc/interrupts)
modes=$(cat "$dev"/msi_irqs/* 2>/dev/null | sort -u | tr '\n' ' ')
if [ -n "$intx" ]; then
    mode=intx
    line=$(grep -E " $ifname\$" /proc/interrupts | head -n 1)
    case $line in *GICv3*Level*) ;; *) bad "$ifname is not on a level line of the GICv3: '$line'" ;; esac
    [ -z "$modes" ] || bad "$bdf has MSI vectors ($modes) with e1000e.IntMode=0"
else
    mode=msix
    [ "$modes" = "msix " ] || bad "msi_irqs of $bdf says '$modes', not 'msix'"
fi
[ "$count" -gt 0 ] || bad "no interrupt of $ifname fired"
say "PASS ip=$ip irq_mode=$mode irq_count=$count"
