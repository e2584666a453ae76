#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# L2 side of e2e case pci-hotplug (docs/operating.md, "Hot-plug"): L2 boots with an empty pcie-root-port;
# its pciehp must bind to the port. Then, twice: the NVMe is device_add-ed into the port
# (L1's QMP client), L2 waits for it to appear, reads the marker L0 wrote at block 0 with
# its own nvme driver, and waits for it to go (device_del: the attention button, pciehp
# powers the slot off after 5 s).
#
# L2's command line: l2.marker=HEX (what block 0 holds). Prints "L2-HP: ..." lines: READY
# once pciehp has the slot, "read N marker=..." and "gone N" per round, then PASS, or
# "L2-HP: FAIL REASON".
marker=''
for arg in $(cat /proc/cmdline); do
    case $arg in
    l2.marker=*) marker=${arg#l2.marker=} ;;
    esac
done
. "$(dirname "$0")/lib.sh"
say() { echo "L2-HP: $*"; }
bad() {
    echo "L2-HP: FAIL $*"
    ls -l /sys/bus/pci/devices /sys/bus/pci/slots 2>&1
    grep -E 'CPU|pcie|nvme|PCIe' /proc/interrupts
    dmesg | grep -iE 'pciehp|pcie|nvme|pci ' | tail -n 40
    exit 1
}
[ -n "$marker" ] || bad "no l2.marker= on the command line"

# pciehp registers the port's slot in /sys/bus/pci/slots (its physical slot number).
slot=''
for _ in $(seq 1 60); do
    slot=$(ls /sys/bus/pci/slots 2>/dev/null | head -n 1)
    [ -n "$slot" ] && break
    sleep 0.5
done
[ -n "$slot" ] || bad "no hot-plug slot in /sys/bus/pci/slots (pciehp not bound to the root port)"
say "slot $slot address $(cat "/sys/bus/pci/slots/$slot/address") power $(cat "/sys/bus/pci/slots/$slot/power" 2>/dev/null)"
dmesg | grep -iE 'pciehp|pcieport' | sed 's/^/L2-HP: dmesg: /'
say READY

for round in 1 2; do
    bdf=''
    for _ in $(seq 1 240); do
        bdf=$(nvme_bdf) && break
        sleep 0.5
    done
    [ -n "$bdf" ] || bad "round $round: no NVMe controller appeared within 120 s"
    dev=/sys/bus/pci/devices/$bdf
    say "round $round: controller $bdf appeared, BAR 0 $(awk 'NR == 1 { print $1 "-" $2; exit }' "$dev/resource")"
    disk=$(nvme_namespace "$bdf" 240) || bad "round $round: the nvme driver gave no namespace within 60 s"
    got=$(dd if="$disk" bs=4096 count=1 iflag=direct 2>/dev/null | head -c 32)
    [ "$got" = "$marker" ] || bad "round $round: block 0 of $disk holds '$got', not '$marker'"
    say "read $round marker=$got from $disk ($bdf), irqs $(grep -c nvme /proc/interrupts) nvme lines"
    grep -E 'pciehp|nvme' /proc/interrupts | tr -s ' ' | sed 's/^/L2-HP: irq /'

    for i in $(seq 1 240); do
        [ -e "$dev" ] || break
        if [ $((i % 20)) = 0 ]; then
            grep -E 'pciehp' /proc/interrupts | tr -s ' ' | sed 's/^/L2-HP: waiting: irq /'
            dmesg | grep -iE 'pciehp' | tail -n 3 | sed 's/^/L2-HP: waiting: dmesg: /'
        fi
        if [ "$i" = 50 ]; then
            # Still there 25 s after the button: show the blocked tasks' stacks (SysRq w), to
            # tell a guest waiting on its own IRQ thread from a lost interrupt.
            echo w > /proc/sysrq-trigger 2>/dev/null
            dmesg | sed -n '/[Bb]locked [Ss]tate/,$p' | head -n 80 | sed 's/^/L2-HP: blocked: /'
        fi
        sleep 0.5
    done
    [ -e "$dev" ] && bad "round $round: $bdf still there 120 s later (device_del)"
    say "gone $round"
done
dmesg | grep -iE 'pciehp' | tail -n 12 | sed 's/^/L2-HP: dmesg: /'
say PASS
