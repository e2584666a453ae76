#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# L2 side of e2e case soak-hotplug (docs/hardening.md, "Soak"): as hotplug.sh, but for
# l2.cycles rounds: each time the NVMe is device_add-ed into the root port, L2's nvme driver
# reads the marker at block 0 (l2.marker=HEX), writes "soak-hp=N" at block 3 with fsync and
# reads it back with O_DIRECT, then waits for the device to go (device_del). Prints
# "L2-SOAK-HP: READY", per round "L2-SOAK-HP: read N marker=ok|bad write=ok|bad irq=msi|intx
# end" (the "end": L1 reads the console as it is written, and must not judge half a line) and
# "L2-SOAK-HP: gone N", then "L2-SOAK-HP: PASS" (l2-init then holds: l2hold), or
# "L2-SOAK-HP: FAIL REASON".
. "$(dirname "$0")/lib.sh"
marker='' cycles=2
for arg in $(cat /proc/cmdline); do
    case $arg in
    l2.marker=*) marker=${arg#l2.marker=} ;;
    l2.cycles=*) cycles=${arg#l2.cycles=} ;;
    esac
done
say() { echo "L2-SOAK-HP: $*"; }
bad() {
    echo "L2-SOAK-HP: FAIL $*"
    grep -E 'CPU|pcie|nvme|PCIe' /proc/interrupts
    dmesg | grep -iE 'pciehp|pcie|nvme|pci ' | tail -n 40
    exit 1
}
[ -n "$marker" ] || bad "no l2.marker= on the command line"
slot=''
for _ in $(seq 1 60); do
    slot=$(ls /sys/bus/pci/slots 2>/dev/null | head -n 1)
    [ -n "$slot" ] && break
    sleep 0.5
done
[ -n "$slot" ] || bad "no hot-plug slot in /sys/bus/pci/slots (pciehp not bound to the root port)"
say READY
round=0
while [ "$round" -lt "$cycles" ]; do
    round=$((round + 1))
    bdf=''
    for _ in $(seq 1 480); do
        bdf=$(nvme_bdf) && break
        sleep 0.25
    done
    [ -n "$bdf" ] || bad "round $round: no NVMe controller appeared within 120 s"
    dev=/sys/bus/pci/devices/$bdf
    disk=$(nvme_namespace "$bdf" 240) || bad "round $round: the nvme driver gave no namespace within 60 s"
    got=$(dd if="$disk" bs=4096 count=1 iflag=direct 2>/dev/null | head -c 32)
    m=bad w=bad
    [ "$got" = "$marker" ] && m=ok
    printf 'soak-hp=%d' "$round" | dd of="$disk" bs=4096 seek=3 conv=notrunc,fsync,sync 2>/tmp/dd.err
    wst=$?
    rb=$(dd if="$disk" bs=4096 skip=3 count=1 iflag=direct 2>/dev/null | head -c 32 | tr -d '\000')
    [ "$wst" = 0 ] && [ "$rb" = "soak-hp=$round" ] && w=ok
    kind=intx
    grep nvme0q /proc/interrupts | grep -q MSI && kind=msi
    say "read $round marker=$m write=$w irq=$kind end"
    [ "$m" = ok ] || bad "round $round: block 0 of $disk holds '$got', not '$marker'"
    [ "$w" = ok ] || bad "round $round: block 3 did not read back soak-hp=$round (write: dd status $wst, $(tr '\n' ' ' < /tmp/dd.err | cut -c1-120); read back '$rb')"
    for _ in $(seq 1 480); do
        [ -e "$dev" ] || break
        sleep 0.25
    done
    [ -e "$dev" ] && bad "round $round: $bdf still there 120 s later (device_del)"
    say "gone $round"
done
say PASS
